import { defineConfig } from "vitest/config";

// The unit tests of the domain's pure rules, for `npm run mutation` only. No globalSetup: these
// tests need no dist/ build, and Stryker runs them once per mutant.
export default defineConfig({
  test: {
    include: [
      "test/domain/key-format.test.ts",
      "test/domain/expiry.test.ts",
      "test/domain/reminder-schedule.test.ts",
      "test/domain/permissions.test.ts",
      "test/domain/paging.test.ts",
    ],
    testTimeout: 30_000,
  },
});
