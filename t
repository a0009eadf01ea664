Command exited with non-zero status 2
28.53 s 30052 KB
