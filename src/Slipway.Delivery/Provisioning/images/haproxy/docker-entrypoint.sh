#!/bin/sh
# Entry point of Slipway's local haproxy:2.6 stand-in (official image interface).
set -e

# `docker run haproxy:2.6 -f /x.cfg` means `haproxy -f /x.cfg`
if [ "${1#-}" != "$1" ]; then
	set -- haproxy "$@"
fi

# Master-worker mode (-W) in the foreground (-db), as the official image does.
if [ "$1" = 'haproxy' ]; then
	shift
	set -- haproxy -W -db "$@"
fi

exec "$@"
