import { config } from "zod";

// Scalar validates its configuration with zod, which first tries `new Function("")` to see
// whether it may compile validators. Under the page's `script-src 'self'` (no 'unsafe-eval')
// that try is refused and reported as a CSP violation. Jitless mode never tries. This module
// is imported before Scalar, so the setting is in place before zod's first parse.
config({ jitless: true });
