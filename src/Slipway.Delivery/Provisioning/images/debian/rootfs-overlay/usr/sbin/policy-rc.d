#!/bin/sh
# Slipway base image: never start services from package postinst scripts inside
# `docker build` (same as the official debian images).
exit 101
