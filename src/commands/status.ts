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
import { noPositionals, siteOption } from "../fleet/options"
import { errorCell, policyCell, readStatus } from "../fleet/status"
import { renderTable } from "../fleet/table"

const HELP = `Usage:
  dialguard status --broker URL [--site ID] [--json] [broker options]

Lists the boards of site ID (of every site without --site) from their
retained topics: online or offline (dialguard/<site>/<board>/online: true
while it is connected, false from its MQTT will once it drops off) and its
last state (dialguard/<site>/<board>/state, kept while it is offline): the
policy version it enforces ("3 (behind 4)" when the broker holds a newer
one), firmware, when it last reported (Beijing time) and its last error,
including the last policy it refused and why.

Options:
  --site ID          site id (a-z 0-9 -); default: every site on the broker
  --json             print {"site","policies":{site:version},"boards":[{"site",
                     "board","online","policyVersion","behind","firmware","ts",
                     "lastSeen","lastError","rejected"}],"warnings":[...]}
${BROKER_HELP}
  -h, --help         show this help

Exit status: 0 (also when no board is known: a line says so); 1 broker
unreachable or refusing the login; 2 usage error.

Examples:
  dialguard status --broker mqtt://127.0.0.1:1883 --site hq
    site hq: policy version 4 on the broker
    board   state    policy         firmware  last seen (Beijing)  last error
    desk-a  online   4              0.1.0     2026-11-03 14:05:09
    desk-b  offline  4              0.1.0     2026-11-03 13:58:30
    desk-c  online   3 (behind 4)   0.1.0     2026-11-03 14:02:41  refused policy version 4: bad signature
`

const OPTIONS = {
    ...BROKER_OPTIONS,
    site: { type: "string" },
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
        const conn = await FleetConnection.connect(broker, {
            clientId: randomClientId("status"),
        })
        let s
        try {
            s = await readStatus(conn, site)
        } finally {
            await conn.close()
        }
        for (const w of s.warnings)
            process.stderr.write(`dialguard: warning: ${w}\n`)
        if (p.values["json"]) {
            process.stdout.write(JSON.stringify(s) + "\n")
            return EXIT_OK
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
        return EXIT_OK
    },
}
