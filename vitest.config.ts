import { defineConfig } from "vitest/config"
import { brokersNote, fleetBrokers } from "./test/brokerChoice.ts"

// Host tests only: test/**/*.test.ts except the DeviceScript VM tests in
// test/vm/ (those run in the DeviceScript VM through `npm run test:vm`).
// test/fleet.test.ts runs once per broker, as the projects "aedes" and
// "mosquitto" (test/brokerChoice.ts); every other file in project "host".
const FLEET = "test/fleet.test.ts"

// this file is loaded once per project: say it once
const noted = globalThis as { dialguardBrokersNoted?: boolean }
if (!noted.dialguardBrokersNoted) console.log(brokersNote())
noted.dialguardBrokersNoted = true

// Test files run side by side: every simulator has its own bus (sim/hub.ts)
// and every broker its own ports (test/syncHarness.ts freePort), and the
// slow files mostly wait on timers (rings, brokers, the VMs' real time).
// DIALGUARD_TEST_WORKERS overrides how many at once (see sim/README.md,
// "Running side by side", for the measurements behind the default).
const workers = Number(process.env["DIALGUARD_TEST_WORKERS"] ?? 3)

export default defineConfig({
    test: {
        // compiles dist/ once if a source changed (tests run the real CLI)
        globalSetup: ["test/buildCli.setup.mjs"],
        testTimeout: 20000,
        projects: [
            {
                extends: true,
                test: {
                    name: "host",
                    include: ["test/**/*.test.ts"],
                    exclude: ["test/vm/**", "node_modules/**", FLEET],
                },
            },
            ...fleetBrokers().map(kind => ({
                extends: true as const,
                test: {
                    name: kind,
                    include: [FLEET],
                    env: { DIALGUARD_TEST_BROKER: kind },
                },
            })),
        ],
        pool: "forks",
        maxWorkers: workers,
        // tests of a describe.concurrent group at once (default 5): the CLI
        // and fleet tests start a CLI each (~1 s of CPU); 2 cores
        maxConcurrency: 3,
    },
})
