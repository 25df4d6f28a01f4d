#!/usr/bin/env node
// Committed shim so npm can link the bin at install time; the CLI itself is compiled to dist/.
import "../dist/verify-cli.js";
