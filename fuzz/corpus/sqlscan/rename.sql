USE `src`;
SET sql_mode = 'ANSI_QUOTES';
DELIMITER ;;
CREATE DEFINER=`root`@`localhost` PROCEDURE `p`()
SELECT COUNT(*) FROM "src" /* c */ . t, `src`.`t`;;
DELIMITER ;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER src.trg BEFORE INSERT ON src.t FOR EACH ROW SET @a = 1 */;
CREATE VIEW `v` AS select `src`.`f`() AS `c`, 'src.t' AS s;
