-- cairn dump format 1
USE `db`;
INSERT INTO `t` (`a`,`b`) VALUES (1,'x;y'),(2,0x00FF);
-- cairn rows `db`.`t` 2
DELIMITER ;;
CREATE TRIGGER x BEGIN SET @a = ';'; END;;
DELIMITER ;
-- cairn dump completed 2026-11-24T06:00:01Z
