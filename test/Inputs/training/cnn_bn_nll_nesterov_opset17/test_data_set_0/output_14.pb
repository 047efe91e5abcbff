B
fc_b_V_newJÛ ×¾ð%?/êh¾