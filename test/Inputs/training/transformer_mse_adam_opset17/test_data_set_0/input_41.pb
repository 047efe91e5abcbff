Bbq_HJ 
M'=½ŒV=|3<¢¼b=‰û¡<0gV=zˆB=SÙ<