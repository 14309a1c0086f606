// Provisioning one board through its DialGuard Admin service
// (services/dialguardadmin.md): configuration, restart, policy.
//
// A configuration takes effect at the board's next start. The board reports
// the SHA-256 of the configuration it started with (config_hash, set once
// it has booted), so "the new configuration is in effect" is that register
// equal to the hash of the text uploaded; reads that go unanswered while it
// restarts are simply retried.

import { createHash } from "node:crypto"
import type { AdminClient, UploadKind, UploadResult } from "./admin"
import { SimError } from "./errors"
import { CliError } from "../command"

/** The board refused the configuration or the policy. */
export const EXIT_REFUSED = 3
/** The board did not confirm: no answer, or not back after the restart. */
export const EXIT_UNCONFIRMED = 4

const POLL_MS = 250
const READ_TIMEOUT_MS = 1000

export interface ProvisionPlan {
    /** The configuration document as uploaded (compact JSON). */
    configText: string
    /** The board policy as uploaded; undefined: keep the board's. */
    policyText?: string
}

export interface ProvisionOutcome {
    /** false: the board already ran this very configuration (no upload, no restart). */
    configChanged: boolean
    /** How long the restart took until the new configuration was in effect. */
    restartMs?: number
    /** Read back from the board at the end; 0 = none (fail closed). */
    policyVersion: number
    /** The board's last_error at the end ("" if none). */
    lastError: string
}

export type Step = "config" | "restart" | "policy" | "verify"

export function sha256Hex(text: string): string {
    return createHash("sha256").update(text, "utf8").digest("hex")
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** An unanswered admin request, after something was sent: exit 4. */
function unconfirmed(e: unknown, what: string): never {
    if (e instanceof SimError)
        throw new CliError(
            `${what}: ${e.message.replace(/^the firmware/, "the board")}`,
            [],
            EXIT_UNCONFIRMED
        )
    throw e
}

async function upload(
    admin: AdminClient,
    kind: UploadKind,
    text: string
): Promise<UploadResult> {
    // A chunk lost on the way (a serial link) voids the upload on the
    // board; it says so, and the whole upload is sent once more.
    let r = await admin.upload(kind, text)
    if (!r.ok && /^upload incomplete/.test(r.message))
        r = await admin.upload(kind, text)
    return r
}

/** Polls config_hash until it is `want`; resolves to false after `timeoutMs`. */
async function waitForConfig(
    admin: AdminClient,
    want: string,
    timeoutMs: number
): Promise<boolean> {
    const end = Date.now() + timeoutMs
    while (Date.now() < end) {
        try {
            if ((await admin.configHash(READ_TIMEOUT_MS)) === want) return true
        } catch (e) {
            if (!(e instanceof SimError)) throw e // restarting: not answering
        }
        await sleep(POLL_MS)
    }
    return false
}

/**
 * Configures the board, restarts it into that configuration (unless it
 * already runs it), then uploads the policy. CliErrors: exit 1 when nothing
 * was changed on the board, EXIT_REFUSED with the board's reason,
 * EXIT_UNCONFIRMED when it stopped answering.
 */
export async function provision(
    admin: AdminClient,
    plan: ProvisionPlan,
    timeoutMs: number,
    onStep: (s: Step) => void = () => {}
): Promise<ProvisionOutcome> {
    const want = sha256Hex(plan.configText)
    let current: string
    try {
        current = await admin.configHash()
    } catch (e) {
        if (!(e instanceof SimError)) throw e
        throw new CliError(
            "the board does not report its configuration (no config_hash in its DialGuard Admin service): " +
                "its firmware is older than this dialguard; deploy devs/main.ts to it first. Nothing was sent"
        )
    }
    const out: ProvisionOutcome = {
        configChanged: current !== want,
        policyVersion: 0,
        lastError: "",
    }
    if (out.configChanged) {
        onStep("config")
        const r = await upload(admin, "config", plan.configText).catch(e =>
            unconfirmed(e, "uploading the configuration")
        )
        if (!r.ok)
            throw new CliError(
                `the board refused the configuration: ${r.message}`,
                [],
                EXIT_REFUSED
            )
        onStep("restart")
        const t0 = Date.now()
        await admin.restart()
        if (!(await waitForConfig(admin, want, timeoutMs)))
            throw new CliError(
                `the board did not come back with the new configuration within ${timeoutMs / 1000} s ` +
                    "(it is stored on the board and takes effect at its next start; " +
                    "run flash again to finish, or see the board's console)",
                [],
                EXIT_UNCONFIRMED
            )
        out.restartMs = Date.now() - t0
    }
    if (plan.policyText !== undefined) {
        onStep("policy")
        const r = await upload(admin, "policy", plan.policyText).catch(e =>
            unconfirmed(e, "uploading the policy")
        )
        if (!r.ok)
            throw new CliError(
                `the board refused the policy: ${r.message}` +
                    (out.configChanged
                        ? " (its new configuration is in effect)"
                        : ""),
                [],
                EXIT_REFUSED
            )
    }
    onStep("verify")
    try {
        out.policyVersion = (await admin.readFresh("policy_version")) as number
        out.lastError = (await admin.readFresh("last_error")) as string
    } catch (e) {
        unconfirmed(e, "reading back the policy version")
    }
    return out
}
