// `dialguard status`: the boards of a site (or of every site) as their
// retained state and online topics describe them.

import { Command, EXIT_OK, parseOptions } from "../command"
import {
    BROKER_HELP,
    BROKER_OPTIONS,
    brokerSettings,
    FleetConnection,
    randomClientId,
} from "../fleet/broker"
import {
    SeenCounters,
    OLD_KEY_HELP,
    verifierFromKeyFile,
} from "../fleet/boardSig"
import { noPositionals, siteOption } from "../fleet/options"
import { errorCell, policyCell, readStatus } from "../fleet/status"
import { renderTable } from "../fleet/table"

const HELP = `Usage:
  dialguard status --broker URL [--site ID] [--key KEYFILE [--old-key OLDKEYFILE]] [--json]
                   [broker options]

Lists the boards of site ID (of every site without --site) from their
retained topics: online or offline (dialguard/<site>/<board>/online: true
while it is connected, false from its MQTT will once it drops off) and its
last state (dialguard/<site>/<board>/state, kept while it is offline): the
policy version it enforces ("3 (behind 4)" when the broker holds a newer
one), firmware, when it last reported (Beijing time) and its last error,
including the last policy it refused and why.

With --key (the site key file) each board's state is verified: boards sign
their messages with their own key (derived from the site key), with a
counter that only grows. A forged, unsigned or replayed (older than one
seen before) state is not used: the board's line says "state refused: ..."
and a warning names it; exit status 3. The counters seen are kept in
KEYFILE.seen.json (for the replays). Without --key nothing is verified (a
warning says so).

Options:
  --site ID          site id (a-z 0-9 -); default: every site on the broker
  --key KEYFILE      site key file: verify the boards' signed states
${OLD_KEY_HELP}
  --json             print {"site","policies":{site:version},"boards":[{"site",
                     "board","online","policyVersion","behind","firmware","ts",
                     "lastSeen","lastError","rejected","messages","refused"}],
                     "warnings":[...]} (messages: verified, refused or
                     unverified)
${BROKER_HELP}
  -h, --help         show this help

Exit status: 0 (also when no board is known: a line says so); 3 a board's
state was refused (forged, unsigned or replayed); 1 broker unreachable or
refusing the login, bad key file; 2 usage error.

Examples:
  dialguard status --broker mqtt://127.0.0.1:1883 --site hq
    site hq: policy version 4 on the broker
    board   state    policy         firmware  last seen (Beijing)  last error
    desk-a  online   4              0.1.0     2026-11-03 14:05:09
    desk-b  offline  4              0.1.0     2026-11-03 13:58:30
    desk-c  online   3 (behind 4)   0.1.0     2026-11-03 14:02:41  refused policy version 4: bad signature
`

/** A board's messages failed verification. */
const EXIT_REFUSED = 3

const OPTIONS = {
    ...BROKER_OPTIONS,
    site: { type: "string" },
    key: { type: "string" },
    "old-key": { type: "string" },
    json: { type: "boolean" },
} as const

export const status: Command = {
    name: "status",
    summary: "boards of a site: online, policy version, last seen, last error",
    help: HELP,
    async run(args) {
        const p = parseOptions(args, OPTIONS)
        noPositionals(p)
        const broker = brokerSettings(p)
        const site = siteOption(p)
        const { verifier, seenFile } = verifierFromKeyFile(
            p.values["key"] as string | undefined,
            p.values["old-key"] as string | undefined
        )
        const conn = await FleetConnection.connect(broker, {
            clientId: randomClientId("status"),
        })
        let s
        try {
            s = await readStatus(
                conn,
                site,
                verifier,
                new SeenCounters(seenFile)
            )
        } finally {
            await conn.close()
        }
        for (const w of s.warnings)
            process.stderr.write(`dialguard: warning: ${w}\n`)
        const code = s.boards.some(b => b.messages === "refused")
            ? EXIT_REFUSED
            : EXIT_OK
        if (p.values["json"]) {
            process.stdout.write(JSON.stringify(s) + "\n")
            return code
        }
        const out: string[] = []
        for (const [name, v] of Object.entries(s.policies).sort())
            out.push(`site ${name}: policy version ${v} on the broker`)
        if (site && s.policies[site] === undefined)
            out.push(`site ${site}: no policy on the broker yet`)
        if (s.boards.length === 0) {
            const where = site ? `dialguard/${site}/` : "dialguard/"
            out.push(
                `no boards known under ${where} (no retained state topics)`
            )
        } else {
            const all = site === undefined
            const header = [
                ...(all ? ["site"] : []),
                "board",
                "state",
                "policy",
                "firmware",
                "last seen (Beijing)",
                "last error",
            ]
            const rows = s.boards.map(b => [
                ...(all ? [b.site] : []),
                b.board,
                b.online ? "online" : "offline",
                policyCell(b),
                b.firmware || "-",
                b.lastSeen || "-",
                errorCell(b),
            ])
            out.push(renderTable(header, rows).trimEnd())
        }
        process.stdout.write(out.join("\n") + "\n")
        return code
    },
}
