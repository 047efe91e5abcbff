Bln2_g_V_newJ šCI;m!C;BS
<éZÊ<PÈW<Òe<;‘ó;mn€<