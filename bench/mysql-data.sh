# bench/mysql-data.sh -- the generated MariaDB dataset of the benchmarks
# (sourced after t/lib/mariadb.sh; never depends on ../shared).
#
#   bench_mysql_data SIZE_MB [DB]
#       fills database DB (default bench) on $MARIADB_SOCK with about
#       SIZE_MB of dump text: orders (numbers, dates, enums, text; a
#       secondary index), blobs (binary, 2 KiB each), docs (JSON).
#   bench_mysql_tables N ROWS [DB]
#       N small tables t0001... of ROWS rows each (the scale benchmark).

bench_mysql_data()
{
	_bd_mb=$1
	_bd_db=${2:-bench}
	# ~180 bytes of dump text per order row; blobs and json take ~1/4
	_bd_orders=$((_bd_mb * 1024 * 1024 * 3 / 4 / 180))
	_bd_blobs=$((_bd_mb * 1024 / 4 / 4))	# 2 KiB blobs -> 4 KiB of hex
	mdb -e "CREATE DATABASE $_bd_db; USE $_bd_db;
CREATE TABLE orders (id INT PRIMARY KEY, customer INT NOT NULL,
    amount DECIMAL(10,2) NOT NULL, created DATETIME NOT NULL,
    status ENUM('new','paid','shipped','returned') NOT NULL,
    ratio DOUBLE, note VARCHAR(200), code CHAR(32), KEY (customer));
CREATE TABLE blobs (id INT PRIMARY KEY, kind SMALLINT, data BLOB);
CREATE TABLE docs (id INT PRIMARY KEY, doc JSON);
SET @words = 'alpha,bravo,charlie,delta,echo,foxtrot,golf,hotel,india,juliett,kilo,lima,mike,november,oscar,papa';
INSERT INTO orders SELECT seq, seq % 50000, (seq * 7919 % 100000) / 100,
    '2020-01-01' + INTERVAL (seq * 37 % 100000000) SECOND, 1 + seq % 4,
    seq / 3, CONCAT_WS(' ', SUBSTRING_INDEX(SUBSTRING_INDEX(@words, ',', 1 + seq % 16), ',', -1),
        SUBSTRING_INDEX(SUBSTRING_INDEX(@words, ',', 1 + seq * 7 % 16), ',', -1),
        'order', seq, 'for customer', seq % 50000,
        SUBSTRING_INDEX(SUBSTRING_INDEX(@words, ',', 1 + seq * 13 % 16), ',', -1)),
    MD5(seq) FROM seq_1_to_$_bd_orders;
INSERT INTO blobs SELECT seq, seq % 7,
    CONCAT(RANDOM_BYTES(512), REPEAT(CHAR(seq % 256), 1024), RANDOM_BYTES(512))
    FROM seq_1_to_$_bd_blobs;
INSERT INTO docs SELECT seq, JSON_OBJECT('id', seq, 'tags', JSON_ARRAY('a', 'b', seq % 10),
    'name', CONCAT('item ', seq), 'price', seq / 100) FROM seq_1_to_$((_bd_orders / 10));
ANALYZE TABLE orders, blobs, docs;" >/dev/null
}

bench_mysql_tables()
{
	_bt_n=$1
	_bt_rows=$2
	_bt_db=${3:-bench}
	mdb -e "CREATE DATABASE IF NOT EXISTS $_bt_db" || return 1
	_bt_i=1
	{ echo "USE $_bt_db;"
	while [ $_bt_i -le "$_bt_n" ]; do
		printf 'CREATE TABLE %s.t%04d (id INT PRIMARY KEY, k INT, v VARCHAR(40), KEY (k));\n' \
		    "$_bt_db" $_bt_i
		printf 'INSERT INTO %s.t%04d SELECT seq, seq %% 97, CONCAT(%s, seq) FROM seq_1_to_%s;\n' \
		    "$_bt_db" $_bt_i "'row '" "$_bt_rows"
		_bt_i=$((_bt_i + 1))
	done; } | mdb
}
