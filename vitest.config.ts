import { defineConfig } from "vitest/config"

// Host tests only: test/**/*.test.ts except the DeviceScript VM tests in
// test/vm/ (those run in the DeviceScript VM through `npm run test:vm`).
export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        exclude: ["test/vm/**", "node_modules/**"],
        // compiles dist/ once if a source changed (tests run the real CLI)
        globalSetup: ["test/buildCli.setup.mjs"],
        testTimeout: 20000,
    },
})
