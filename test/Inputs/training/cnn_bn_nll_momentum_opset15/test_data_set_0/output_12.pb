B
bn_B_V_newJ¾G?ì	?6æ÷½©+?