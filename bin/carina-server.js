#!/usr/bin/env node
// Runs the compiled control plane (npm run build puts it in dist/).
import '../dist/src/server/main.js';
