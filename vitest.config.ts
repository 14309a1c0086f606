import { defineConfig } from "vitest/config"

// Host tests only: test/**/*.test.ts except the DeviceScript VM tests in
// test/vm/ (those run in the DeviceScript VM through `npm run test:vm`).
//
// Test files run side by side: every simulator has its own bus (sim/hub.ts)
// and every broker its own ports (test/syncHarness.ts freePort), and the
// slow files mostly wait on timers (rings, brokers, the VMs' real time).
// DIALGUARD_TEST_WORKERS overrides how many at once (see sim/README.md,
// "Running side by side", for the measurements behind the default).
const workers = Number(process.env["DIALGUARD_TEST_WORKERS"] ?? 3)

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        exclude: ["test/vm/**", "node_modules/**"],
        testTimeout: 20000,
        pool: "forks",
        maxWorkers: workers,
        // tests of a describe.concurrent group at once (default 5): the CLI
        // and fleet tests start a CLI each (~1 s of CPU); 2 cores
        maxConcurrency: 3,
    },
})
