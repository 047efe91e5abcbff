B
fc_b_V_newJ%¿?“¹=/T-¿