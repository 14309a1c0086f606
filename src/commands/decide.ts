// `dialguard decide`: what the engine does when a handset dials a number,
// one number from the command line or many as JSON lines on stdin.

import { once } from "node:events"
import { createInterface } from "node:readline"
import { DialPlan } from "../../devs/engine/types"
import { Decision, decideDigits } from "../../devs/engine/dialSession"
import { Handset, Policy } from "../../devs/policy/types"
import { readKeyFile } from "../fleet/sign"
import {
    decideWithRules,
    OfficeDecision,
    OfficeOptions,
    usesOfficeRules,
} from "../officeDecide"
import {
    CliError,
    Command,
    EXIT_FAIL,
    EXIT_OK,
    parseOptions,
    required,
    UsageError,
} from "../command"
import { loadPolicy } from "../policyFile"
import { locateJsonError } from "../jsonError"

const HELP = `Usage:
  dialguard decide --policy FILE --handset EXT DIGITS [--json]
  dialguard decide --policy FILE --batch < requests.jsonl > decisions.jsonl

Shows what DialGuard does when handset EXT dials DIGITS and then goes silent
(or presses #): dial a number (possibly rewritten, e.g. with the IP prefix)
or block the call, and why. Uses the same engine as the firmware.

The readable line shows what is sent to the line (DIAL) or BLOCK, then
[category] or [category, refusal code], the reason, and what settled it.

Office rules (issue 12), when the policy sets them: a private prefix
(site.privatePrefix, e.g. *9) marks the call private; working hours
(site.hours) are judged at --at; a refusal an authorization code can lift
says so (the handset plays the prompt tone), and --code with --key keys
that code: the call goes out with the code's class and its owner.

Options:
  --policy FILE    policy file (.json, or .yaml/.yml)
  --at TIME        Beijing time of the call for working hours, e.g.
                   "2026-12-01 19:30" (default: now; "unknown": before the
                   board knows the time)
  --code DIGITS    the authorization code keyed after a refusal
  --key KEYFILE    the site key file the codes are sealed with (for --code)
  --handset EXT    extension of the handset that dials (must be in the policy)
  --json           print the decision as one JSON object:
                   {"action":"dial"|"block","category":"...","dial":"...",
                    "reason":"...","code":"...","decidedOn":"digit"|"timeout"}
                   ("dial" only when dialling, "code" only when blocking;
                   office rules add "private":true, "codeOwner":"...",
                   "codePrompt":true)
  --batch          decide many calls: read JSON lines from stdin, write one
                   JSON decision per line to stdout (see below)
  -h, --help       show this help

DIGITS are the keys pressed: 0-9, * and #. Spaces and dashes are ignored
("010-6234 5678"); a + at the start is the international prefix 00 (+86 25
8400 1234 is dialled as 0086 25 8400 1234: a call inside China, decided as
025 8400 1234). Quote DIGITS containing * or # in the shell. "decided on
digit" means the call was settled by a key press, "decided on timeout" that
it needed the inter-digit timer (the number could still have gone on).

Exit status: 0 when the call was decided, whether dialled or blocked;
1 for an unknown handset or an unreadable or invalid policy; 2 for usage errors.

Batch mode: each input line is an object such as
  {"handset":"8001","digits":"01062345678"}
and each output line is the decision followed by the input's fields:
  {"action":"dial","category":"domestic","dial":"1790901062345678",...,"handset":"8001","digits":"01062345678"}
A bad input line (invalid JSON, missing or non-string handset or digits,
unknown handset, characters other than 0-9 * # space -) gives
  {"error":"line N: ...", ...the input's fields, if any}
and processing goes on; the exit status is then 1 once all lines are done.
Empty lines are skipped (they still count for line numbers). The policy is
compiled once and lines are streamed, so large batches run at full speed.

Examples:
  dialguard decide --policy sim/policies/hq.policy.json --handset 8001 01062345678
    8001 dials 01062345678 -> DIAL 1790901062345678 [domestic] domestic long distance via IP prefix 17909 (decided on digit)
  dialguard decide --policy sim/policies/hq.policy.json --handset 8001 16812345 --json
  echo '{"handset":"8101","digits":"0085212345678"}' | dialguard decide --policy sim/policies/hq.policy.json --batch
`

const OPTIONS = {
    policy: { type: "string" },
    handset: { type: "string" },
    json: { type: "boolean" },
    batch: { type: "boolean" },
    at: { type: "string" },
    code: { type: "string" },
    key: { type: "string" },
} as const

/**
 * DIGITS without spaces and dashes, a leading + as the international
 * prefix 00 (the keypad has no +); `bad` is the first character other than
 * 0-9 * #, if any.
 */
export function normalizeDigits(s: string): { digits: string; bad?: string } {
    let digits = s.replace(/[ -]/g, "")
    if (digits.startsWith("+")) digits = "00" + digits.slice(1)
    return { digits, bad: /[^0-9*#]/u.exec(digits)?.[0] }
}

const ALLOWED_KEYS =
    "allowed: 0-9 * #, and + at the start for 00; spaces and dashes are ignored"

/** Decision fields; input fields of the same name are dropped in batch output. */
const DECISION_KEYS = [
    "error",
    "action",
    "category",
    "dial",
    "reason",
    "code",
    "decidedOn",
    "private",
    "codeOwner",
    "codePrompt",
]

class Handsets {
    private byExt = new Map<string, Handset>()

    constructor(
        plan: DialPlan,
        private file: string
    ) {
        for (const h of plan.handsets) this.byExt.set(h.extension, h)
    }

    get(ext: string): Handset | undefined {
        return this.byExt.get(ext)
    }

    /** Why `ext` cannot be used, listing the known extensions. */
    unknown(ext: string): string {
        const all = [...this.byExt.keys()]
        let known = all.slice(0, 20).join(", ") || "none"
        if (all.length > 20) known += `, ... (${all.length} in all)`
        const quoted = JSON.stringify(ext)
        return `unknown handset ${quoted} in ${this.file} (known extensions: ${known})`
    }
}

/** The decision as JSON fields, in a fixed order, without undefined ones. */
function decisionFields(d: Decision): Record<string, string> {
    const o: Record<string, string> = {
        action: d.action,
        category: d.category,
    }
    if (d.action === "dial" && d.dial !== undefined) o["dial"] = d.dial
    o["reason"] = d.reason
    if (d.action === "block" && d.code) o["code"] = d.code
    o["decidedOn"] = d.decidedOn
    // issue 12
    const x = d as OfficeDecision
    if (x.private) o["private"] = true as any
    if (x.codeOwner) o["codeOwner"] = x.codeOwner
    if (x.codePrompt) o["codePrompt"] = true as any
    return o
}

/**
 * One readable line, e.g.
 * 8001 dials 16812345 -> BLOCK [premium, premium] 16812345 is ... (decided on digit)
 */
export function describe(ext: string, digits: string, d: Decision): string {
    const head = `${ext} dials ${digits || "nothing"} -> `
    const x = d as OfficeDecision
    const tail =
        ` (decided on ${d.decidedOn})` +
        (x.private ? " [private]" : "") +
        (x.codePrompt
            ? " [prompt tone: an authorization code can lift this]"
            : "")
    if (d.action === "dial")
        return `${head}DIAL ${d.dial} [${d.category}] ${d.reason}${tail}`
    return `${head}BLOCK [${d.category}, ${d.code}] ${d.reason}${tail}`
}

/** --at, --key, --code as the office-rule options. */
function officeOptions(v: Record<string, unknown>): OfficeOptions {
    const at = v["at"] as string | undefined
    let unix = Math.floor(Date.now() / 1000)
    if (at === "unknown") unix = 0
    else if (at !== undefined) {
        const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})$/.exec(at)
        if (!m)
            throw new UsageError(
                `--at ${JSON.stringify(at)}: expected Beijing time "YYYY-MM-DD HH:MM" or "unknown"`
            )
        unix = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4] - 8, +m[5]) / 1000
    }
    const code = v["code"] as string | undefined
    const keyFile = v["key"] as string | undefined
    if (code !== undefined && !/^[0-9]{1,12}$/.test(code))
        throw new UsageError("--code must be 1-12 digits")
    if (code !== undefined && keyFile === undefined)
        throw new UsageError(
            "--code needs --key KEYFILE (the codes are HMACed with it)"
        )
    return { unix, code, key: keyFile ? readKeyFile(keyFile) : undefined }
}

function decideCall(
    policy: Policy,
    plan: DialPlan,
    h: Handset,
    digits: string,
    office: OfficeOptions
): Decision {
    return usesOfficeRules(policy)
        ? decideWithRules(policy, plan, h, digits, office)
        : decideDigits(plan, h, digits)
}

function decideOne(
    file: string,
    ext: string,
    raw: string,
    json: boolean,
    office: OfficeOptions
) {
    const n = normalizeDigits(raw)
    if (n.bad) {
        const what = `DIGITS ${JSON.stringify(raw)}`
        throw new UsageError(
            `${what} contains ${JSON.stringify(n.bad)} (${ALLOWED_KEYS})`
        )
    }
    const { policy, plan } = loadPolicy(file)
    const handsets = new Handsets(plan, file)
    const h = handsets.get(ext)
    if (!h) throw new CliError(handsets.unknown(ext))
    const d = decideCall(policy, plan, h, n.digits, office)
    const line = json
        ? JSON.stringify(decisionFields(d))
        : describe(ext, n.digits, d)
    process.stdout.write(line + "\n")
    return EXIT_OK
}

/** Buffers output lines and writes them in large chunks, honouring back-pressure. */
class LineWriter {
    private parts: string[] = []
    private size = 0

    add(line: string): Promise<void> | undefined {
        this.parts.push(line, "\n")
        this.size += line.length + 1
        return this.size >= 64 * 1024 ? this.flush() : undefined
    }

    async flush() {
        if (this.size === 0) return
        const chunk = this.parts.join("")
        this.parts = []
        this.size = 0
        if (!process.stdout.write(chunk)) await once(process.stdout, "drain")
    }
}

interface BatchResult {
    out: Record<string, unknown>
    ok: boolean
}

/** Parses one input line; a string is the error. */
function parseLine(line: string): Record<string, unknown> | string {
    let input: unknown
    try {
        input = JSON.parse(line)
    } catch (e) {
        const p = locateJsonError(line)
        if (!p) return "invalid JSON: " + (e as Error).message
        const why = p.message.replace("end of file", "end of line")
        return `invalid JSON at column ${p.column}: ${why}`
    }
    if (typeof input !== "object" || input === null || Array.isArray(input))
        return 'expected an object such as {"handset":"8001","digits":"110"}'
    return input as Record<string, unknown>
}

/** One input line to an output object: the decision or an error, then the input's fields. */
function batchLine(
    policy: Policy,
    office: OfficeOptions,
    plan: DialPlan,
    handsets: Handsets,
    line: string,
    lineNo: number
): BatchResult {
    const parsed = parseLine(line)
    const input = typeof parsed === "string" ? {} : parsed
    const rest = Object.fromEntries(
        Object.entries(input).filter(([k]) => !DECISION_KEYS.includes(k))
    )
    const fail = (why: string): BatchResult => ({
        out: { error: `line ${lineNo}: ${why}`, ...rest },
        ok: false,
    })
    if (typeof parsed === "string") return fail(parsed)
    const { handset, digits } = input
    if (handset === undefined) return fail('missing "handset"')
    if (typeof handset !== "string")
        return fail('"handset" must be a string such as "8001"')
    if (digits === undefined) return fail('missing "digits"')
    if (typeof digits !== "string")
        return fail('"digits" must be a string such as "01062345678"')
    const h = handsets.get(handset)
    if (!h) return fail(handsets.unknown(handset))
    const n = normalizeDigits(digits)
    if (n.bad)
        return fail(
            `"digits" contains ${JSON.stringify(n.bad)} (${ALLOWED_KEYS})`
        )
    const decision = decisionFields(
        decideCall(policy, plan, h, n.digits, office)
    )
    return { out: { ...decision, ...rest }, ok: true }
}

async function decideBatch(
    file: string,
    office: OfficeOptions
): Promise<number> {
    const { policy, plan } = loadPolicy(file)
    const handsets = new Handsets(plan, file)
    const out = new LineWriter()
    const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
    let lineNo = 0
    let failed = 0
    for await (const line of rl) {
        lineNo++
        if (line.trim() === "") continue
        const r = batchLine(policy, office, plan, handsets, line, lineNo)
        if (!r.ok) failed++
        const pending = out.add(JSON.stringify(r.out))
        if (pending) await pending
    }
    await out.flush()
    if (failed)
        process.stderr.write(
            `dialguard: ${failed} of the input lines had errors` +
                ` (see their "error" fields)\n`
        )
    return failed ? EXIT_FAIL : EXIT_OK
}

export const decide: Command = {
    name: "decide",
    summary: "what a handset dialling a number gets: dial (as what) or block",
    help: HELP,
    run(args) {
        const p = parseOptions(args, OPTIONS)
        const file = required(p, "policy", "FILE (the policy to decide under)")
        const extra = (i: number, why: string) =>
            new UsageError(
                `unexpected argument ${JSON.stringify(p.positionals[i])} (${why})`
            )
        if (p.values["batch"]) {
            if (p.values["handset"] !== undefined)
                throw new UsageError(
                    "--handset cannot be used with --batch" +
                        " (each input line names its handset)"
                )
            if (p.positionals.length)
                throw extra(0, "--batch reads the calls from stdin")
            return decideBatch(file, officeOptions(p.values))
        }
        const ext = required(p, "handset", "EXT (the extension that dials)")
        if (p.positionals.length === 0)
            throw new UsageError(
                "missing DIGITS (the keys dialled, e.g. 01062345678)"
            )
        if (p.positionals.length > 1)
            throw extra(1, "give DIGITS once; quote it if it has spaces")
        const json = p.values["json"] === true
        return decideOne(
            file,
            ext,
            p.positionals[0],
            json,
            officeOptions(p.values)
        )
    },
}
