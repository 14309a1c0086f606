// Which MQTT brokers the fleet tests run against (vitest.config.ts and the
// test harness read this; no other imports, the config loads it):
//   - aedes, in the test process (what `dialguard broker` runs): always;
//   - mosquitto, the production broker: where it is installed.
// vitest.config.ts runs test/fleet.test.ts once per broker (projects
// "aedes" and "mosquitto"; DIALGUARD_TEST_BROKER tells the file which).
// The end-to-end tests with the real firmware (minutes each) run once:
// against mosquitto where it is installed, else against aedes.
// DIALGUARD_REQUIRE_MOSQUITTO=1 (.ci/run sets it) counts mosquitto as
// installed: when it is not, its tests fail saying so instead of being
// left out.

import { accessSync, constants } from "node:fs"
import { join } from "node:path"

export type BrokerKind = "aedes" | "mosquitto"

export const REQUIRE_MOSQUITTO = "DIALGUARD_REQUIRE_MOSQUITTO"
const required = () => process.env[REQUIRE_MOSQUITTO] === "1"

/**
 * Where a mosquitto program (mosquitto, mosquitto_passwd) is: on PATH, or
 * in the sbin folders a user's PATH often lacks (Debian installs the
 * broker in /usr/sbin). Undefined when it is not installed.
 */
export function findMosquitto(name = "mosquitto"): string | undefined {
    const path = (process.env["PATH"] ?? "").split(":")
    for (const dir of [...path, "/usr/sbin", "/usr/local/sbin"]) {
        if (!dir) continue
        try {
            accessSync(join(dir, name), constants.X_OK)
            return join(dir, name)
        } catch {
            // not there
        }
    }
    return undefined
}

/** findMosquitto, or an error that says how to install it. */
export function mosquittoProgram(name = "mosquitto"): string {
    const p = findMosquitto(name)
    if (p) return p
    const why = required() ? ` (${REQUIRE_MOSQUITTO}=1 requires it)` : ""
    throw new Error(
        `${name} not found${why}: install the Debian package mosquitto (.ci/run does)`
    )
}

/** The brokers test/fleet.test.ts runs against. */
export function fleetBrokers(): BrokerKind[] {
    return findMosquitto() || required() ? ["aedes", "mosquitto"] : ["aedes"]
}

/**
 * The broker of this test file: its vitest project's, else (the
 * end-to-end tests) mosquitto where it is installed, else aedes.
 */
export function testBrokerKind(): BrokerKind {
    const kind = process.env["DIALGUARD_TEST_BROKER"]
    if (kind === "aedes" || kind === "mosquitto") return kind
    return fleetBrokers().includes("mosquitto") ? "mosquitto" : "aedes"
}

/** One line for the start of a test run: which brokers, and why. */
export function brokersNote(): string {
    const m = findMosquitto()
    const e2e = `end-to-end tests: ${testBrokerKind()}`
    if (m) return `fleet tests: aedes and mosquitto (${m}); ${e2e}`
    if (required())
        return `fleet tests: aedes and mosquitto, which is NOT installed (${REQUIRE_MOSQUITTO}=1): its tests fail; ${e2e}`
    return `fleet tests: aedes only, mosquitto is not installed (apt-get install mosquitto; ${REQUIRE_MOSQUITTO}=1 makes this a failure); ${e2e}`
}
