import { exactnessSuite } from "./support/exactness.js";

// The exactness harness (test/support/exactness.ts) against `svc local up --api real`.
exactnessSuite("real");
