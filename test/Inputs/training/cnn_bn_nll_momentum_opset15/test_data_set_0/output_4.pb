B
conv_b_newJV4èΩ€é=üÛ`ΩÒ£Ω