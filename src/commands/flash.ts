// `dialguard flash`: provision a board (identity, ports, broker and site
// key, first policy) over the DeviceScript bus: the simulator's, or a
// board on USB bridged by `devs devtools --serial`.

import type { BoardConfig } from "../../devs/app/boardConfig"
import { Command, EXIT_OK, parseOptions, UsageError } from "../command"
import { ENV_PASSWORD, ENV_USERNAME } from "../fleet/broker"
import { noPositionals, parseDuration } from "../fleet/options"
import { keyFileWarning } from "../fleet/sign"
import { DEFAULT_BUS, parseBusUrl } from "../board/busAddress"
import { Prepared, prepare } from "../board/prepare"
import type { ProvisionOutcome, Step } from "../board/provision"

const HELP = `Usage:
  dialguard flash --board ID --ports EXT[,EXT...] [--policy FILE]
                  [--broker URL --key KEYFILE [--site ID] [--username NAME]
                  [--password PASS]] [--ring-on-ms N] [--ring-cycle-ms N]
                  [--bus ${DEFAULT_BUS}] [--device DEVICEID]
                  [--timeout 20s] [--json]

Provisions a board running the DialGuard firmware through its DialGuard
Admin service: its id, the extension of each handset port, the ring
cadence and, with --broker, the site it syncs with over MQTT (site id,
broker, login, site key); then its first policy. The configuration takes
effect at the board's next start: flash restarts the board and waits until
it runs the new configuration, then uploads the policy and reads the policy
version back. A board that already runs the very same configuration is not
restarted. Its counters and call records in flash are kept.

Everything is checked on this machine first, exactly as the board checks
it (configuration, key file, policy); with any problem nothing is sent.
The policy sent is the board's share of FILE: its own handsets in full,
the site's other extensions as internal numbers (runs written lo-hi), the
forward chains through its ports (a board's 64 KB of memory cannot hold a large site's whole policy).
The board refuses a policy cut for another board.

The board is reached through its Jacdac bus, over TCP:
  - the simulator: 'npm run sim' takes the default --bus (it prints
    another one when that port is taken); a test's SimSession has a bus
    of its own at session.busUrl;
  - a board on USB: run 'npx devs devtools devs/main.ts --serial' (it
    deploys the firmware and bridges the board's serial port to
    ${DEFAULT_BUS}; no internet needed), then run flash. Flashing the
    DeviceScript runtime itself ('npx devs flash') downloads it from GitHub;
    see "Provisioning a board" in README.md.

Options:
  --board ID          the board's id, unique in the site (1-32 characters;
                      a-z 0-9 - when it syncs: it is an MQTT topic level)
  --ports EXT,...     the extension of handset port 0, 1, ... (1-4, 2-6 digits)
  --policy FILE       the site policy (.json, .yaml); without it the board
                      keeps the policy it has (none on a new board: internal
                      and emergency calls only until one is pushed)
  --broker URL        mqtt://host[:port] or mqtts://host[:port] (TLS): the
                      board syncs with the site through it (policy pushes,
                      state, counters, call records); without it the board
                      runs offline
  --key KEYFILE       the site key ('dialguard key new'); needs --broker
  --site ID           the site id (a-z 0-9 -); default: the policy's
                      site.name lower-cased, other characters as "-"
  --username NAME     the board's broker login (default: $${ENV_USERNAME})
  --password PASS     its password (default: $${ENV_PASSWORD}; prefer the
                      variable: a command line is visible to other users).
                      The board keeps them in its flash: give boards a
                      login of their own, not an administrator's
  --ring-on-ms N      ringing current on, ms (default 1000, China: 1 s on)
  --ring-cycle-ms N   one ring cycle, ms (default 5000: 1 s on, 4 s off)
  --bus URL           the bus's TCP port: devs devtools or the simulator
                      (default ${DEFAULT_BUS})
  --device DEVICEID   the board's Jacdac device id, when several boards are
                      on the bus (flash lists them)
  --timeout T         how long to wait for the board to appear, and to come
                      back after its restart (default 20s; 1m, 500ms)
  --json              print {"board","device","bus","ports","ringOnMs",
                      "ringCycleMs","site","broker","username",
                      "configChanged","restartMs","policy":{"file",
                      "version","bytes","handsets"},"policyVersion",
                      "lastError","warnings":[...]} instead of the summary
  -h, --help          show this help

Exit status: 0 provisioned; 1 nothing was sent (a bad key or policy file,
no bus, no board or several boards on it); 2 usage error; 3 the board
refused the configuration or the policy (its reason is printed); 4 the
board stopped answering or did not come back after the restart.

Examples:
  dialguard flash --board desk-a --ports 8001,8101 --policy sim/policies/hq.policy.json
    board desk-a provisioned (device 29f27158f67922da on tcp://127.0.0.1:8082)
      configuration  new, in effect after a restart (1.3 s)
      ports          8001, 8101
      ring           1000 ms on, 5000 ms cycle
      sync           none: the board runs offline
      policy         version 3 from sim/policies/hq.policy.json (2 of 4 handsets, 803 bytes)
  DIALGUARD_MQTT_PASSWORD=... dialguard flash --board desk-a --ports 8001 \\
      --broker mqtt://10.0.0.5:1883 --username desk-a --key hq.key \\
      --policy site.yaml --site hq
`

const OPTIONS = {
    board: { type: "string" },
    ports: { type: "string" },
    policy: { type: "string" },
    broker: { type: "string" },
    key: { type: "string" },
    site: { type: "string" },
    username: { type: "string" },
    password: { type: "string" },
    "ring-on-ms": { type: "string" },
    "ring-cycle-ms": { type: "string" },
    bus: { type: "string" },
    device: { type: "string" },
    timeout: { type: "string" },
    json: { type: "boolean" },
} as const

const STEPS: Record<Step, string> = {
    config: "uploading the configuration",
    restart: "restarting the board into it",
    policy: "uploading the policy",
    verify: "reading back the policy version",
}

function syncLine(c: BoardConfig, prep: Prepared): string {
    const s = c.sync
    if (!s) return "none: the board runs offline"
    const login = s.username
        ? `, login ${s.username}${prep.usernameFrom === ENV_USERNAME ? ` (from $${ENV_USERNAME})` : ""}` +
          (s.password ? " with password" : "")
        : ""
    return `site ${s.site}, broker ${s.url}${login}, site key from ${prep.keyFile}`
}

function policyLine(prep: Prepared, o: ProvisionOutcome): string {
    const p = prep.policy
    if (!p) {
        if (o.policyVersion > 0)
            return `version ${o.policyVersion}, kept (no --policy given)`
        return "none: fail closed (internal and emergency calls only); give --policy FILE or push one"
    }
    const what = `${p.own} of ${p.all} handsets, ${Buffer.byteLength(p.text)} bytes`
    const v =
        o.policyVersion === p.version
            ? `version ${p.version}`
            : `version ${o.policyVersion} (flashed ${p.version}; the broker's is newer?)`
    return `${v} from ${p.file} (${what})`
}

export const flash: Command = {
    name: "flash",
    summary: "provision a board: id, ports, broker and site key, first policy",
    help: HELP,
    async run(args) {
        const p = parseOptions(args, OPTIONS)
        noPositionals(p)
        const addr = parseBusUrl((p.values["bus"] as string) ?? DEFAULT_BUS)
        const timeout = p.values["timeout"]
        const timeoutMs =
            typeof timeout === "string"
                ? parseDuration(timeout, "--timeout")
                : 20000
        const device = p.values["device"] as string | undefined
        if (device !== undefined && !/^[0-9a-fA-F]{16}$/.test(device))
            throw new UsageError(
                `bad --device ${JSON.stringify(device)} (a Jacdac device id: 16 hex digits, as flash lists them)`
            )
        const json = p.values["json"] === true
        const prep = prepare(p)
        const key = prep.keyFile
        const w = key !== undefined ? keyFileWarning(key) : undefined
        if (w) prep.warnings.push(w)
        for (const w of prep.warnings)
            process.stderr.write(`dialguard: warning: ${w}\n`)

        // Loaded on demand: jacdac-ts is not needed by the other commands.
        const { connectBoard } = await import("../board/bus")
        const { provision } = await import("../board/provision")
        const tty = process.stderr.isTTY
        const say = (s: string) => {
            if (tty) process.stderr.write(`dialguard: ${s}...\n`)
        }
        say(`looking for the board on ${addr.url}`)
        const conn = await connectBoard(addr, device?.toLowerCase(), timeoutMs)
        let o: ProvisionOutcome
        try {
            o = await provision(
                conn.admin,
                { configText: prep.configText, policyText: prep.policy?.text },
                timeoutMs,
                step => say(STEPS[step])
            )
        } finally {
            await conn.close()
        }
        const c = prep.config
        if (json) {
            const out = {
                board: c.board,
                device: conn.deviceId,
                bus: addr.url,
                ports: c.ports,
                ringOnMs: c.ring.onMs,
                ringCycleMs: c.ring.cycleMs,
                site: c.sync?.site ?? null,
                broker: c.sync?.url ?? null,
                username: c.sync?.username ?? null,
                configChanged: o.configChanged,
                restartMs: o.restartMs ?? null,
                policy: prep.policy
                    ? {
                          file: prep.policy.file,
                          version: prep.policy.version,
                          bytes: Buffer.byteLength(prep.policy.text),
                          handsets: prep.policy.own,
                      }
                    : null,
                policyVersion: o.policyVersion,
                lastError: o.lastError,
                warnings: prep.warnings,
            }
            process.stdout.write(JSON.stringify(out) + "\n")
            return EXIT_OK
        }
        const rows = [
            [
                "configuration",
                o.configChanged
                    ? `new, in effect after a restart (${((o.restartMs ?? 0) / 1000).toFixed(1)} s)`
                    : "unchanged (the board already ran it: not restarted)",
            ],
            ["ports", c.ports.join(", ")],
            ["ring", `${c.ring.onMs} ms on, ${c.ring.cycleMs} ms cycle`],
            ["sync", syncLine(c, prep)],
            ["policy", policyLine(prep, o)],
        ]
        if (o.lastError) rows.push(["last error", o.lastError])
        const width = Math.max(...rows.map(r => r[0].length)) + 2
        process.stdout.write(
            `board ${c.board} provisioned (device ${conn.deviceId} on ${addr.url})\n` +
                rows.map(([k, v]) => "  " + k.padEnd(width) + v + "\n").join("")
        )
        return EXIT_OK
    },
}
