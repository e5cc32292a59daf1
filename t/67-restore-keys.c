/*
 * t/67-restore-keys -- which KEY lines of a dumped CREATE TABLE the
 * parallel restore adds after the rows (src/cairnctl/restore_keys.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/cairnctl/restore_keys.h"
#include "tap.h"

/* the lines to leave out, as "1,2|uncomma" */
static const char *
lines(const struct rkeys *k)
{
	static char	 b[256];
	size_t		 o = 0;

	b[0] = '\0';
	for (size_t i = 0; i < k->ndrop && o < sizeof(b) - 24; i++)
		o += (size_t)snprintf(b + o, sizeof(b) - o, "%s%llu",
		    i ? "," : "", (unsigned long long)k->drop[i]);
	snprintf(b + o, sizeof(b) - o, "|%llu",
	    (unsigned long long)k->uncomma);
	return b;
}

/* 1 and the plan, or 0 and why */
static int
table(const char *sql, struct rkeys *k, char *why)
{
	why[0] = '\0';
	return rkeys_table(sql, strlen(sql), k, why, 128);
}

static void
refused(const char *sql, const char *want, const char *name)
{
	struct rkeys	 k;
	char		 why[128];

	is_int(table(sql, &k, why), 0, "%s: kept in the CREATE", name);
	is_str(why, want, "%s: because of %s", name, want);
	ok(k.alter == NULL && k.ndrop == 0, "%s: nothing planned", name);
	rkeys_free(&k);
}

int
main(void)
{
	struct rkeys	 k;
	char		 why[128];

	plan_lazy();

	/* keys last: the line before them loses its comma */
	is_int(table("CREATE TABLE `t` (\n"
	    "  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
	    "  `a` int(11) DEFAULT NULL,\n"
	    "  `b` varchar(10) DEFAULT 'x''y',\n"
	    "  PRIMARY KEY (`id`),\n"
	    "  UNIQUE KEY `b` (`b`),\n"
	    "  KEY `a` (`a`),\n"
	    "  KEY `ab` (`a`,`b`(3)) COMMENT 'KEY `z`'\n"
	    ") ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=latin1",
	    &k, why), 1, "keys last: deferred");
	is_str(lines(&k), "6,7|5", "its KEY lines go, line 5 loses its comma");
	is_str(k.alter, "ALTER TABLE `t` ADD KEY `a` (`a`), ADD KEY `ab` "
	    "(`a`,`b`(3)) COMMENT 'KEY `z`';\n", "one ALTER, keys in order");
	is_int(k.nkeys, 2, "two keys");
	rkeys_free(&k);

	/* a CHECK after the keys: no comma to take */
	is_int(table("CREATE TABLE `c` (\n"
	    "  `a` int(11) DEFAULT NULL,\n"
	    "  KEY `a` (`a`),\n"
	    "  CONSTRAINT `pos` CHECK (`a` >= 0)\n"
	    ") ENGINE=InnoDB", &k, why), 1, "keys before a CHECK: deferred");
	is_str(lines(&k), "2|0", "the KEY line goes, no comma changes");
	rkeys_free(&k);

	/* names with line breaks: a line that starts inside a quote is part
	 * of the line before */
	is_int(table("CREATE TABLE `h\n  KEY ``t`` (``a``)` (\n"
	    "  `a  KEY ``x`` (``a``),` int(11) DEFAULT NULL,\n"
	    "  KEY `k\n  KEY ``z`` (``a``)` (`a  KEY ``x`` (``a``),`),\n"
	    "  KEY `v\n  PRIMARY KEY (``a``),\n) ENGINE=MyISAM` (`a  KEY ``x`` "
	    "(``a``),`)\n"
	    ") ENGINE=InnoDB", &k, why), 1, "hostile names: deferred");
	is_str(lines(&k), "3,4,5,6,7|2", "the key entries go whole, line 2 "
	    "loses its comma");
	is_str(k.alter, "ALTER TABLE `h\n  KEY ``t`` (``a``)` ADD KEY `k\n"
	    "  KEY ``z`` (``a``)` (`a  KEY ``x`` (``a``),`), ADD KEY `v\n"
	    "  PRIMARY KEY (``a``),\n) ENGINE=MyISAM` (`a  KEY ``x`` "
	    "(``a``),`);\n", "the ALTER names them as dumped");
	rkeys_free(&k);

	/* AUTO_INCREMENT led by a UNIQUE key: fine */
	is_int(table("CREATE TABLE `u` (\n"
	    "  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
	    "  `a` int(11) DEFAULT NULL,\n"
	    "  UNIQUE KEY `u` (`id`,`a`),\n"
	    "  KEY `a` (`a`)\n"
	    ") ENGINE=InnoDB", &k, why), 1, "AUTO_INCREMENT under UNIQUE: "
	    "deferred");
	rkeys_free(&k);

	refused("CREATE TABLE `t` (\n"
	    "  `id` int(11) NOT NULL AUTO_INCREMENT,\n"
	    "  KEY `id` (`id`)\n"
	    ") ENGINE=InnoDB", "an AUTO_INCREMENT column without a PRIMARY "
	    "or UNIQUE key led by it", "AUTO_INCREMENT under a plain KEY");
	refused("CREATE TABLE `t` (\n"
	    "  `a` int(11) DEFAULT NULL,\n"
	    "  KEY `a` (`a`)\n"
	    ") ENGINE=MyISAM", "not InnoDB", "MyISAM");
	refused("CREATE TABLE `t` (\n"
	    "  `a` int(11) DEFAULT NULL,\n"
	    "  KEY `a` (`a`)\n"
	    ") ENGINE=InnoDBx", "not InnoDB", "another engine's name");
	refused("CREATE TABLE `t` (\n"
	    "  `a` text,\n"
	    "  KEY `n` (`a`(3)),\n"
	    "  FULLTEXT KEY `a` (`a`)\n"
	    ") ENGINE=InnoDB", "FULLTEXT", "FULLTEXT");
	refused("CREATE TABLE `t` (\n"
	    "  `a` int(11) DEFAULT NULL,\n"
	    "  `p` int(11) DEFAULT NULL,\n"
	    "  KEY `a` (`a`),\n"
	    "  CONSTRAINT `f` FOREIGN KEY (`p`) REFERENCES `q` (`id`)\n"
	    ") ENGINE=InnoDB", "FOREIGN KEY", "a foreign key");
	refused("CREATE TABLE `t` (\n"
	    "  `a` varchar(9) DEFAULT 'x\\',\n  KEY `b` (`a`),',\n"
	    "  KEY `a` (`a`)\n"
	    ") ENGINE=InnoDB", "a backslash in a string", "a backslash");
	refused("CREATE TABLE `t` (\n"
	    "  `a` int(11) DEFAULT NULL /* x */,\n"
	    "  KEY `a` (`a`)\n"
	    ") ENGINE=InnoDB", "a comment", "a comment");
	refused("CREATE TABLE `t` (\n"
	    "  `a` int(11) DEFAULT NULL,\n"
	    "  INDEX `a` (`a`)\n"
	    ") ENGINE=InnoDB", "a line it does not know", "an unknown line");
	refused("CREATE TABLE `t` (\n"
	    "  `a` int(11) DEFAULT NULL,\n"
	    "  KEY `a` (`a`),\n"
	    "  UNIQUE KEY `u` (`a`)\n"
	    ") ENGINE=InnoDB", "lines out of the server's order",
	    "a UNIQUE key after a plain one");
	refused("CREATE TABLE `t` (\n"
	    "  `a` int(11) DEFAULT NULL\n"
	    "  KEY `a` (`a`)\n"
	    ") ENGINE=InnoDB", "a comma out of place", "a missing comma");
	refused("CREATE TABLE `t` (\n"
	    "  `a` int(11) DEFAULT NULL,\n"
	    "  PRIMARY KEY (`a`)\n"
	    ") ENGINE=InnoDB", "no plain KEY", "no plain key");
	refused("CREATE TABLE `t` (\n"
	    "  `a` int(11) DEFAULT 'open,\n"
	    "  KEY `a` (`a`)\n"
	    ") ENGINE=InnoDB", "an open quote", "an open quote");
	refused("CREATE TABLE `t` (\r\n"
	    "  `a` int(11) DEFAULT NULL,\r\n"
	    "  KEY `a` (`a`)\r\n"
	    ") ENGINE=InnoDB", "a carriage return", "CRLF");
	refused("CREATE TABLE t (\n"
	    "  `a` int(11) DEFAULT NULL,\n"
	    "  KEY `a` (`a`)\n"
	    ") ENGINE=InnoDB", "not CREATE TABLE `name`", "a bare name");

#define FK(s)	rkeys_foreign(s, strlen(s))
	is_int(FK("CREATE TABLE `t` (\n  `a` int(11)\n) ENGINE=InnoDB"),
	    RKEYS_FK_NONE, "no foreign key");
	is_int(FK("CREATE TABLE `t` (\n  CONSTRAINT `f` FOREIGN KEY (`p`) "
	    "REFERENCES `q` (`id`)\n) ENGINE=InnoDB"), RKEYS_FK_LOCAL,
	    "a foreign key to the same database");
	is_int(FK("CREATE TABLE `t` (\n  CONSTRAINT `f` FOREIGN KEY (`p`) "
	    "REFERENCES `d`.`q` (`id`)\n) ENGINE=InnoDB"), RKEYS_FK_ANY,
	    "a foreign key to another database");
	is_int(FK("CREATE TABLE `t` (\n  `x REFERENCES ``a``` int,\n  "
	    "CONSTRAINT `f` FOREIGN KEY (`p`) REFERENCES `d`.`q` (`id`)\n) "
	    "ENGINE=InnoDB"), RKEYS_FK_ANY, "a name with REFERENCES text "
	    "does not hide the real one");
	is_int(FK("ALTER TABLE `t` ADD FOREIGN KEY (`p`) REFERENCES `q` (`id`)"),
	    RKEYS_FK_ANY, "a foreign key outside a CREATE TABLE");
	return tap_exit();
}
