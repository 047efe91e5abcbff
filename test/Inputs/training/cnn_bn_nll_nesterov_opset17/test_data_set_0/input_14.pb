B
bn_scale_VJBØx¼d†ö;¤ýI;²«´;