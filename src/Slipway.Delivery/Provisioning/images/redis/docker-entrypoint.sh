#!/bin/sh
# Entry point of Slipway's local redis:7 stand-in (official image interface).
set -e

# `docker run redis:7 --appendonly yes` or `... /path/redis.conf` means redis-server ...
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

if [ "$1" = 'redis-server' ]; then
	# The official image is compiled with protected-mode off; Debian's is not, so
	# turn it off here unless the command line or the given .conf file sets it.
	wants_pm=yes
	for arg in "$@"; do
		case "$arg" in
			--protected-mode) wants_pm=no ;;
			*.conf) if [ -r "$arg" ] && grep -qiE '^[[:space:]]*protected-mode' "$arg"; then wants_pm=no; fi ;;
		esac
	done
	if [ "$wants_pm" = yes ]; then
		set -- "$@" --protected-mode no
	fi
	if [ "$(id -u)" = '0' ]; then
		find . \! -user redis -exec chown redis '{}' +
		exec gosu redis "$0" "$@"
	fi
fi

umask 0077
exec "$@"
