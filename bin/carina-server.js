#!/usr/bin/env -S node --max-semi-space-size=4
// Runs the compiled control plane (npm run build puts it in dist/). Run as `carina-server` (or
// ./bin/carina-server.js), V8's young generation is capped at 2 × 4 MiB instead of 2 × 16: the
// control plane's RSS under load is ≈ 25 MiB lower, at no measured cost in latency
// (BENCHMARKS.md, "What the control plane's memory is"). Tests and benchmarks start it with the
// same flags (test/support/launcher.ts).
import '../dist/src/server/main.js';
