B
bn_scale_VJ[УL<ток╩оЧ;ПйP;