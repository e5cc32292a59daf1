CREATE DATABASE /*!32312 IF NOT EXISTS*/ `we``ird`; # c
SELECT "a""b", '\'' -- x
, 1/*c*/;