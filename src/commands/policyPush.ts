// `dialguard policy push FILE`: sign a policy, publish it to the site's
// boards over MQTT and report what each board did with it.

import { copyFileSync, existsSync, renameSync, writeFileSync } from "node:fs"
import { resealCodes } from "../fleet/authCodes"
import { readPolicyDocument } from "../policyFile"
import { CliError, Command, EXIT_OK, parseOptions, required } from "../command"
import {
    BROKER_HELP,
    BROKER_OPTIONS,
    brokerSettings,
    FleetConnection,
    randomClientId,
} from "../fleet/broker"
import { onePositional, parseDuration, siteOption } from "../fleet/options"
import {
    PreparedPush,
    preparePush,
    Progress,
    push,
    PushOutcome,
} from "../fleet/push"
import { readKeyFileWarned, writeNewKeyFile } from "../fleet/sign"
import { SeenCounters, seenFileOf } from "../fleet/boardSig"
import { renderTable } from "../fleet/table"

export const EXIT_REJECTED = 3
export const EXIT_UNCONFIRMED = 4
export const EXIT_NO_BOARDS = 5

const HELP = `Usage:
  dialguard policy push FILE --broker URL --key KEYFILE [--site ID]
                        [--timeout 30s] [--json] [broker options]

Validates the policy in FILE exactly as the boards do (nothing is published
if it has any problem). Every board of the site that the broker knows of
(its retained state, dialguard/<site>/<board>/state, lists its ports) gets
its own share of the policy: the site settings, the handsets on its ports,
the site's other extensions as internal numbers, and the forward chains of
its ports worked out from the whole site (a board's 64 KB of memory cannot
hold a large site's policy). Each share is signed with that board's key
(derived from the site key) and published, retained, to
dialguard/<site>/<board>/policy. Then it follows the boards' state and
online topics until each has applied it, refused it, is offline, or
--timeout passes, and prints one row per board: board, result, detail
(e.g. the board's reason for refusing):
  applied    the board answered that it enforces this very policy text
             (its state names it by a hash of the text, not just a version)
  rejected   it refused the message, with its reason; the message is taken
             back from the broker (the one before restored, or none), or it
             would come again at every reconnect only to be refused again;
             a line "what to do" follows
  superseded it runs a newer version than this push's (another push at
             the same time): not applied; taken back the same way
  offline    its online topic says it is away (its last state: version,
             last seen); it gets the message when it reconnects
  no answer  online, but no answer within --timeout
  not sent   its ports are not known (no state yet)
  state refused
             its state is not signed with its board's key (forged;
             unsigned: also firmware before signed messages) or is older
             than one seen before (replayed): its ports are not trusted and
             it is sent nothing; a line "what to do" follows

Every state is verified with its board's key (derived from the site key,
as 'status --key' does): a forged, unsigned or replayed state is neither
used to cut a share nor taken as a board's answer; a warning names the
board and why ("state refused: ..."), the summary lists it and the exit
status is 3. Boards whose firmware does not sign its state (before signed
messages) are refused so: update their firmware ('dialguard flash'). The
counters of the states seen are kept in KEYFILE.seen.json, shared with
status and report.

A board that is offline gets the policy when it reconnects (the message is
retained). A board the broker has never heard of gets nothing: provision
it with 'dialguard flash --policy', or push again once it is online. The
boards' current policies are checked first: boards only move forward, so a
version lower than a board's on the broker, or the same version with
different content, is refused. Re-pushing the same file is harmless.

The message is a header line {"v":2,"site","board","version","sig"}, then
the board's share as JSON text in short lines; "sig" is the hex
HMAC-SHA256 of that text under the board's key (derived from the site
key). At most 4096 bytes (the boards' limit), checked before anything is
sent.

Options:
  FILE               policy file (.json, or .yaml/.yml)
  --key KEYFILE      site key file (64 hex digits; 'dialguard key new')
  --site ID          site id (a-z 0-9 -); default: the policy's site.name
                     lower-cased, other characters as "-" ("HQ" -> "hq")
  --timeout T        how long to wait for the boards (default 30s; 2m, 500ms)
  --json             print {"site","version","topic","sent","bytes",
                     "unchanged","boards":[{"board","result","detail",
                     "online","policyVersion","bytes","withdrawn","hint",
                     "refused"}],
                     "warnings":[...]}
                     instead of the table
${BROKER_HELP}
  -h, --help         show this help

While waiting, a progress line on stderr (when it is a terminal) counts the
boards that applied, refused, are offline and are still awaited.

Exit status: 0 every known board applied the policy; 3 a board rejected it
(or runs a newer version: superseded), or a board's state was refused;
4 none rejected but some did not confirm (offline, no answer, not sent);
5 no boards known for the site (nothing published);
1 nothing published (invalid policy, bad key file, message too large,
broker unreachable or refusing the login), 2 usage error.

Examples:
  dialguard policy push sim/policies/hq.policy.json --broker mqtt://127.0.0.1:1883 --key hq.key
    site hq: policy version 3 published to mqtt://127.0.0.1:1883 for 2 boards (at most 1104 bytes, retained)
    board   result    detail
    desk-a  applied   version 3
    desk-b  rejected  version 3 refused: signature does not match the site key; taken back: the broker holds version 2 for it again
    2 boards: 1 applied, 1 rejected
    what to do (desk-b): the board holds another site key: push with the key file it was provisioned with, or give it this one with 'dialguard flash --key KEYFILE'
  DIALGUARD_MQTT_PASSWORD=... dialguard policy push site.yaml --broker mqtts://mqtt.example.cn \\
      --ca ca.pem --username admin --key hq.key --site hq --timeout 2m --json
`

const OPTIONS = {
    ...BROKER_OPTIONS,
    key: { type: "string" },
    site: { type: "string" },
    timeout: { type: "string" },
    json: { type: "boolean" },
} as const

function summary(o: PushOutcome): string {
    const n = o.boards.length
    const count = (r: string) => o.boards.filter(b => b.result === r).length
    const parts = [
        "applied",
        "rejected",
        "superseded",
        "offline",
        "no answer",
        "not sent",
        "state refused",
    ]
        .map(r => [r, count(r)] as const)
        .filter(([r, c]) => c > 0 || r === "applied")
        .map(([r, c]) => `${c} ${r}`)
    const refused = o.boards.filter(b => b.refused).map(b => b.board)
    return (
        `${n} board${n === 1 ? "" : "s"}: ${parts.join(", ")}` +
        (refused.length
            ? `; states refused (not the board's own, not used) of ${refused.join(", ")}`
            : "")
    )
}

/** "what to do (desk-a, desk-b): …", one line per distinct hint. */
function hintLines(o: PushOutcome): string[] {
    const boards = new Map<string, string[]>()
    for (const b of o.boards)
        if (b.hint) boards.set(b.hint, [...(boards.get(b.hint) ?? []), b.board])
    return [...boards].map(
        ([hint, who]) => `what to do (${who.join(", ")}): ${hint}`
    )
}

export function exitCodeOf(o: PushOutcome): number {
    if (o.boards.length === 0) return EXIT_NO_BOARDS
    if (
        o.boards.some(
            b =>
                b.result === "rejected" ||
                b.result === "superseded" ||
                b.refused !== undefined
        )
    )
        return EXIT_REJECTED
    if (o.boards.some(b => b.result !== "applied")) return EXIT_UNCONFIRMED
    return EXIT_OK
}

/** A progress line that rewrites itself on a terminal. */
function progressLine(version: number, site: string) {
    const err = process.stderr
    if (!err.isTTY) return { update: undefined, clear: () => {} }
    let shown = ""
    return {
        update: (p: Progress) => {
            const line =
                `pushing version ${version} to site ${site}: ${p.applied} applied, ${p.rejected} rejected, ` +
                `${p.offline} offline, ${p.waiting} waiting (${p.secondsLeft} s left)`
            if (line !== shown) err.write(`\r\x1b[K${line}`)
            shown = line
        },
        clear: () => {
            if (shown) err.write("\r\x1b[K")
        },
    }
}

export const policyPush: Command = {
    name: "push",
    summary:
        "sign a policy and publish it to a site's boards; show who applied it",
    help: HELP,
    run: args => runPush(args, false),
}

/**
 * `policy push`, and `key rotate` (rotate: the push signed with the key of
 * --new-key, each board's new key sealed under its current one).
 */
export async function runPush(args: string[], rotate: boolean) {
    const p = parseOptions(
        args,
        rotate ? { ...OPTIONS, "new-key": { type: "string" } } : OPTIONS
    )
    const file = onePositional(
        p,
        rotate
            ? "FILE (the policy file the site enforces, or a newer version)"
            : "FILE (the policy file to push)"
    )
    const keyFile = required(
        p,
        "key",
        rotate
            ? "KEYFILE (the site key the boards hold now)"
            : "KEYFILE (the site key file)"
    )
    const nextFile = rotate
        ? required(p, "new-key", "NEWKEYFILE (the new site key file)")
        : undefined
    const broker = brokerSettings(p)
    const site = siteOption(p)
    const timeout = p.values["timeout"]
    const timeoutMs =
        typeof timeout === "string"
            ? parseDuration(timeout, "--timeout")
            : 30000
    const json = p.values["json"] === true

    const key = readKeyFileWarned(keyFile)
    let nextKey: Buffer | undefined
    if (nextFile !== undefined) {
        // (written before anything is published: never a key lost)
        if (!existsSync(nextFile)) {
            writeNewKeyFile(nextFile)
            process.stderr.write(
                `dialguard: new site key written to ${nextFile} (mode 0600)\n`
            )
        }
        nextKey = readKeyFileWarned(nextFile)
        if (nextKey.equals(key))
            throw new CliError(
                `${nextFile} holds the same key as ${keyFile}: nothing to rotate`
            )
    }
    const prep = preparePush(file, key, site, nextKey)
    const conn = await FleetConnection.connect(broker, {
        clientId: randomClientId("push"),
    })
    const progress = progressLine(prep.version, prep.site)
    let outcome: PushOutcome
    try {
        outcome = await push(
            conn,
            prep,
            timeoutMs,
            progress.update,
            new SeenCounters(seenFileOf(keyFile))
        )
    } finally {
        progress.clear()
        await conn.close()
    }
    for (const w of outcome.warnings)
        process.stderr.write(`dialguard: warning: ${w}\n`)
    const code = exitCodeOf(outcome)
    if (code === EXIT_NO_BOARDS)
        process.stderr.write(
            `dialguard: warning: no boards known for site ${prep.site} (no retained state under dialguard/${prep.site}/): ` +
                `nothing was published; provision boards with 'dialguard flash --policy' or push again once they are online; ` +
                `check --site if boards should be there\n`
        )
    if (nextFile !== undefined) rotated(outcome, code, keyFile, nextFile, prep)
    if (json) {
        process.stdout.write(JSON.stringify(outcome) + "\n")
        return code
    }
    const n = outcome.sent
    const what = nextFile
        ? `key rotation to ${nextFile} with policy version ${prep.version}`
        : `policy version ${prep.version}`
    const head =
        n === 0
            ? `site ${prep.site}: ${what} not published to ${conn.url}`
            : `site ${prep.site}: ${what} published to ${conn.url} for ${n} board${n === 1 ? "" : "s"} ` +
              `(${n === 1 ? "" : "at most "}${outcome.bytes} bytes, retained)` +
              (outcome.unchanged === n ? ", same as before" : "")
    const out = [head]
    if (outcome.boards.length)
        out.push(
            renderTable(
                ["board", "result", "detail"],
                outcome.boards.map(b => [b.board, b.result, b.detail])
            ).trimEnd(),
            summary(outcome),
            ...hintLines(outcome)
        )
    else out.push("no boards known for this site")
    if (nextFile !== undefined) out.push(outcome.rotation!)
    process.stdout.write(out.join("\n") + "\n")
    return code
}

/**
 * After a rotation: what the admin's key files are now (outcome.rotation),
 * and the counters seen so far kept for the new key file too.
 */
function rotated(
    outcome: PushOutcome,
    code: number,
    keyFile: string,
    nextFile: string,
    prep: PreparedPush
) {
    const left = outcome.boards
        .filter(b => b.result !== "applied")
        .map(b => b.board)
    if (code === EXIT_OK) {
        const seen = seenFileOf(keyFile)
        if (existsSync(seen) && !existsSync(seenFileOf(nextFile)))
            copyFileSync(seen, seenFileOf(nextFile))
        outcome.rotation =
            `every board of site ${outcome.site} now holds its key from ${nextFile}: give --key ${nextFile} ` +
            `to push, status, report and collect from now on; the boards take nothing signed with ${keyFile} any more` +
            resealed(prep)
    } else if (outcome.boards.length && left.length < outcome.boards.length)
        outcome.rotation =
            `not done: ${left.join(", ")} still hold${left.length === 1 ? "s" : ""} the key from ${keyFile}; ` +
            `run the same 'dialguard key rotate' again once ${left.length === 1 ? "it is" : "they are"} online ` +
            `(boards that took the new key take the same message again); meanwhile give ` +
            `--key ${nextFile} --old-key ${keyFile} to status, report and collect`
    else
        outcome.rotation = `not done: every board still holds the key from ${keyFile}`
}

/**
 * A rotation done: the policy file's authorization codes sealed again with
 * the new key (a JSON file rewritten, as 'policy code --add-to' does; for
 * YAML the entries to put in). What became of them, for the admin.
 */
function resealed(prep: PreparedPush): string {
    const raw: any = readPolicyDocument(prep.file)
    if (!Array.isArray(raw?.authCodes) || !raw.authCodes.length) return ""
    raw.authCodes = resealCodes(raw.authCodes, prep.key, prep.nextKey!)
    if (!prep.file.endsWith(".json"))
        return (
            `; ${prep.file}'s authorization codes are still sealed with the old key: ` +
            `replace its authCodes with ${JSON.stringify(raw.authCodes)}`
        )
    const tmp = prep.file + ".tmp"
    writeFileSync(tmp, JSON.stringify(raw, null, 4) + "\n")
    renameSync(tmp, prep.file)
    return `; the authorization codes in ${prep.file} are sealed with the new key now`
}
