# t/lib/datasets.sh -- find the shared sample datasets (sakila, employees).
#
#   datasets_dir     print the folder holding sakila/ and employees/, or
#                    return 1: $CAIRN_DATASETS, else ../shared/datasets next
#                    to the source tree (CI), else ../../shared/datasets (a
#                    worktree one level deeper)

datasets_dir()
{
	for _ds in "${CAIRN_DATASETS:-}" "$top_srcdir/../shared/datasets" \
	    "$top_srcdir/../../shared/datasets"; do
		if [ -n "$_ds" ] && [ -f "$_ds/sakila/sakila-mv-schema.sql" ]; then
			(cd "$_ds" && pwd)
			return 0
		fi
	done
	return 1
}
