// `dialguard collect`: the daemon that keeps the long-distance register.

import {
    CliError,
    Command,
    EXIT_FAIL,
    EXIT_OK,
    parseOptions,
    required,
    UsageError,
} from "../command"
import {
    BROKER_HELP,
    BROKER_OPTIONS,
    brokerSettings,
    describeConnectError,
    FleetConnection,
} from "../fleet/broker"
import { OLD_KEY_HELP, verifierFromKeyFile } from "../fleet/boardSig"
import {
    handleCallMessage,
    keepRefused,
    lockDir,
    openRegister,
    RecordChecks,
} from "../fleet/collect"
import type { CallStore } from "../fleet/callStore"
import type { MqttClient } from "mqtt"
import { noPositionals, siteOption } from "../fleet/options"
import { duration } from "../fleet/report"
import {
    beijingTime,
    CallRecord,
    callsFilter,
    isBoardId,
    outcomeOf,
} from "../fleet/topics"

/** "8001 -> 01012345678  domestic  2:05", "8001 <- 13912345678  missed (for 8002)". */
export function recordLine(r: CallRecord): string {
    const outcome = outcomeOf(r)
    if (r.dir === "in")
        return (
            `${r.handset} <- ${r.number || "(unknown)"}  ` +
            (outcome === "answered"
                ? `answered  ${duration(r.seconds)}`
                : outcome) +
            (r.for ? ` (for ${r.for})` : "")
        )
    return (
        `${r.handset} -> ${r.number}  ${r.category}  ` +
        (outcome === "answered"
            ? duration(r.seconds)
            : outcome === "noAnswer" && !r.outcome
              ? duration(r.seconds)
              : outcome + (r.code ? ` ${r.code}` : ""))
    )
}

const HELP = `Usage:
  dialguard collect --broker URL --site ID --out DIR [--key KEYFILE [--old-key OLDKEYFILE]]
                    [--client-id ID] [broker options]

Runs until stopped (Ctrl-C, SIGTERM), storing every call record (one per
call made or received) the boards of site ID publish
(dialguard/<site>/<board>/calls) in the SQLite database DIR/calls.sqlite
(WAL; the tables are described in src/fleet/CALLS-DB.md, for finance's own
queries). 'dialguard report --calls DIR' reads it. The DIR/calls-*.jsonl
files of older versions are imported once, at start-up.

Records are de-duplicated by their "id" (the primary key): a board resends
a record it is not sure arrived, so a resend is ignored, also across
restarts; a record with an id already stored but other content is kept in
the conflicts table and reported. A record is acknowledged to the broker
only once it is committed to disk. The collector uses a persistent MQTT session
(client id dialguard-collect-<site>, clean session off): while it is
stopped the broker keeps the records for it (mosquitto: up to
max_queued_messages, 1000 by default; raise it, and enable persistence to
survive broker restarts). Run one collector per site: a second one with the
same client id would take the session over (a lock file stops two writing
the same DIR).

With --key (the site key file) every record is verified: each board signs
its messages with its own key (derived from the site key) and a counter
that only grows. A forged or unsigned record is refused, and so is one not
stored yet whose counter is not above the last record taken from its board
(a replay; that counter is kept in calls.sqlite, so also after a restart);
a resend of a stored record is a duplicate as before. A board's fresh
flash starts its counter anew, lower: its records are taken when they are
later than every record taken from it before (a note says so). A refused
record is not stored: a warning on stderr names the board, and the message
is kept in DIR/refused.jsonl for the admin. Without --key nothing is
verified (a warning says so at start).

Each new record is logged on stdout; duplicates, bad records and
connection changes on stderr. Once connected it reconnects by itself.

Options:
  --site ID          site id (a-z 0-9 -)
  --out DIR          register folder, holds calls.sqlite (created if missing)
  --key KEYFILE      site key file: verify the boards' signed records
${OLD_KEY_HELP}
  --client-id ID     MQTT client id (default dialguard-collect-<site>)
${BROKER_HELP}
  -h, --help         show this help

Exit status: 0 stopped by a signal; 1 broker unreachable at start-up or
refusing the login, DIR not usable, a record could not be written (it stays
queued on the broker); 2 usage error.

Example:
  dialguard collect --broker mqtt://127.0.0.1:1883 --site hq --out /var/lib/dialguard/hq
    2026-11-03 14:05:09  8001 -> 01012345678  domestic  2:05  desk-a-17
`

const OPTIONS = {
    ...BROKER_OPTIONS,
    site: { type: "string" },
    out: { type: "string" },
    key: { type: "string" },
    "old-key": { type: "string" },
    "client-id": { type: "string" },
} as const

const log = (line: string) =>
    process.stderr.write(`dialguard collect: ${line}\n`)

export const collect: Command = {
    name: "collect",
    summary: "daemon: store every call record in DIR/calls.sqlite",
    help: HELP,
    async run(args) {
        const p = parseOptions(args, OPTIONS)
        noPositionals(p)
        const broker = brokerSettings(p)
        const site = siteOption(p) ?? required(p, "site", "ID (the site id)")
        const dir = required(p, "out", "DIR (the register folder)")
        const clientId =
            (p.values["client-id"] as string | undefined) ??
            `dialguard-collect-${site}`
        if (!isBoardId(clientId) || clientId.length > 23 * 4)
            throw new UsageError(`bad --client-id ${JSON.stringify(clientId)}`)

        const { verifier } = verifierFromKeyFile(
            p.values["key"] as string | undefined,
            p.values["old-key"] as string | undefined
        )
        const checks = new RecordChecks(verifier)
        let reg: CallStore
        let imported = 0
        let unlock = () => {}
        try {
            unlock = lockDir(dir)
            const o = openRegister(dir)
            reg = o.store
            imported = o.imported
        } catch (e) {
            unlock()
            if (e instanceof CliError) throw e
            throw new CliError(
                `cannot use register folder ${dir}: ${(e as Error).message}`
            )
        }
        for (const w of reg.warnings) log(`warning: ${w}`)
        if (!verifier.siteKey)
            log(
                `warning: call records are not verified: give --key KEYFILE (the site key) to check the boards' signatures`
            )
        if (imported)
            log(`imported ${imported} records from the JSONL files in ${dir}`)
        let added = 0
        let fatal: string | undefined
        let stop: (code: number) => void = () => {}
        const stopped = new Promise<number>(resolve => (stop = resolve))

        // Acknowledge a record only after it is written (mqtt.js sends the
        // PUBACK when `callback` is called).
        const handleMessage: MqttClient["handleMessage"] = (
            packet,
            callback
        ) => {
            if (fatal) return // never acknowledged: the broker keeps it
            const payload = Buffer.isBuffer(packet.payload)
                ? packet.payload
                : Buffer.from(packet.payload)
            let h
            try {
                h = handleCallMessage(reg, packet.topic, payload, checks)
                if (h.result === "refused")
                    keepRefused(dir, packet.topic, h, payload)
            } catch (e) {
                fatal = `cannot write to ${dir}: ${(e as Error).message}`
                log(
                    `error: ${fatal}; stopping (the record stays queued on the broker)`
                )
                stop(EXIT_FAIL)
                return
            }
            for (const note of checks.notes.splice(0)) log(`note: ${note}`)
            const r = h.record
            if (h.result === "new" && r) {
                added++
                process.stdout.write(
                    `${beijingTime(r.start) || "(time unknown)     "}  ${recordLine(r)}  ${r.id}\n`
                )
            } else if (h.result === "duplicate")
                log(`duplicate ${r!.id} ignored`)
            else if (h.result === "conflict")
                log(
                    `warning: record id ${r!.id} was stored before with other content; kept in the conflicts table ` +
                        `(board sequence numbers must never restart)`
                )
            else if (h.result === "refused")
                log(
                    `warning: board ${h.board}: call record${h.id ? " " + h.id : ""} on ${packet.topic} refused: ${h.error} (not stored; kept in ${dir}/refused.jsonl)`
                )
            else
                log(
                    `warning: bad record on ${packet.topic} ignored: ${h.error}`
                )
            callback()
        }
        const stored = reg.size
        let conn: FleetConnection
        try {
            conn = await FleetConnection.connect(broker, {
                clientId,
                clean: false,
                reconnect: true,
                handleMessage,
            })
        } catch (e) {
            reg.close()
            unlock()
            throw e
        }
        const client = conn.client
        let online = true
        client.on("offline", () => {
            if (online) log(`lost the connection to ${conn.url}; reconnecting`)
            online = false
        })
        client.on("connect", () => {
            if (!online) log(`reconnected to ${conn.url}`)
            online = true
        })
        client.on("error", e => {
            // refused logins do not get better by retrying
            if (typeof (e as { code?: unknown }).code === "number") {
                log(`error: ${describeConnectError(conn.settings, e)}`)
                stop(EXIT_FAIL)
            }
        })
        process.once("SIGINT", () => stop(EXIT_OK))
        process.once("SIGTERM", () => stop(EXIT_OK))
        try {
            await conn.subscribe([callsFilter(site)])
            log(
                `collecting the call records of site ${site} from ${conn.url} into ${dir} ` +
                    `(${stored} records already there)`
            )
            const code = await stopped
            log(
                `stopped; ${added} new record${added === 1 ? "" : "s"} this run`
            )
            return code
        } finally {
            await conn.close()
            reg.close()
            unlock()
        }
    },
}
