#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (prepare) so start-up stays fast.
import('../dist/cli/main.js').then((m) => m.main(process.argv));
