#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs every Swift Testing test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift format lint --strict -r Sources Tests Package.swift
swift build --build-tests
swift test --skip-build --disable-xctest
