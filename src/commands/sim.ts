// `dialguard sim ...`: the DeviceScript simulator harness (sim/). `sim run`
// plays scenario files against the firmware running in the DeviceScript VM.
// The simulator is a layer above the CLI: reached only through the import()
// below, never imported statically from src/.

import { SimError } from "../board/errors"
import { resolve } from "node:path"
import {
    CliError,
    Command,
    EXIT_OK,
    EXIT_FAIL,
    parseOptions,
    UsageError,
} from "../command"

const RUN_HELP = `Usage:
  dialguard sim run [options] SCENARIO...

Runs each scenario (a .json or .yaml file, or a directory of them) in turn:
builds the firmware and runs it in the DeviceScript VM with a clean flash on
a Jacdac bus of its own (in this process: several simulators can run at
once), hosts one simulated handset + SIP line per port, provisions the board
(configuration, then the scenario's policy), plays the steps and checks the
expectations. The format is described in sim/README.md.

A site scenario ("site": FILE, e.g. sim/site-scenarios/) runs every board of
the site file at once, each the firmware in its own VM with its own flash and
share of the policy, calls routed between any boards, all syncing with one
MQTT broker: an embedded one (in this process) unless --broker is given.

Options:
  --firmware FILE     firmware entry, relative to the project root
                      (default: the scenario's "firmware", else devs/main.ts)
  --verbose, -v       print every event (keys, tones, rings, dials, log lines)
  --keep              keep the board's work dir (its flash; the build is
                      kept in .devicescript/sim-builds anyway)
  --broker URL        site scenarios: the boards sync with this mqtt:// broker
                      (default: an embedded broker on a free loopback port)
  --out DIR           where logs and records go (default .devicescript/sim)
  --sip URI           the SIP lines speak real SIP (RFC 3261) to this server,
                      sip:HOST[:PORT][;transport=udp|tcp] (default port 5060,
                      UDP), each port registering its extension; instead of
                      the simulated exchange (scenarios with "incoming" or
                      "outside" steps cannot run so); a site scenario's
                      boards all register with it and reach each other
                      through it
  --sip-user NAME     digest user name, when it is not the extension
                      (or DIALGUARD_SIP_USER)
  --sip-password PW   digest password for every port (better:
                      DIALGUARD_SIP_PASSWORD; never printed)
  --sip-local ADDR    the address the lines listen on and put in their
                      Contact (default: the one that reaches the server)
  -h, --help          show this help

Each scenario's VM log and event record are written to
.devicescript/sim/<scenario>.log and <scenario>.record.jsonl (a site's logs:
<scenario>.<board>.log).

Exit status: 0 when every expectation of every scenario held; 1 when one
failed or a scenario could not run (each failure is printed: step, what was
expected, what the record shows); 2 for usage errors.

Examples:
  dialguard sim run sim/scenarios/premium-blocked.json
  dialguard sim run sim/scenarios
  dialguard sim run --verbose sim/scenarios/forward-unanswered-chain.json
  dialguard sim run sim/site-scenarios/forward-across-boards.json
  DIALGUARD_SIP_PASSWORD=... dialguard sim run --sip sip:pbx.office.lan sim/scenarios/premium-blocked.json
  DIALGUARD_SIP_PASSWORD=... dialguard sim run --sip sip:pbx.office.lan sim/site-scenarios/hq-internal.json
`

const OPTIONS = {
    firmware: { type: "string" },
    verbose: { type: "boolean", short: "v" },
    keep: { type: "boolean" },
    broker: { type: "string" },
    out: { type: "string" },
    sip: { type: "string" },
    "sip-user": { type: "string" },
    "sip-password": { type: "string" },
    "sip-local": { type: "string" },
} as const

const run: Command = {
    name: "run",
    summary:
        "play simulator scenarios against the firmware in the DeviceScript VM",
    help: RUN_HELP,
    async run(args) {
        const p = parseOptions(args, OPTIONS)
        if (!p.positionals.length)
            throw new UsageError(
                "missing SCENARIO (a scenario file or directory, e.g. sim/scenarios)"
            )
        const broker = p.values["broker"] as string | undefined
        if (broker !== undefined && !/^mqtt:\/\/[^/]+$/.test(broker))
            throw new UsageError(
                `bad --broker ${JSON.stringify(broker)} (mqtt://host:port: the boards reach it over plain TCP)`
            )
        const out = p.values["out"] as string | undefined
        // Loaded on demand: jacdac-ts is not needed by the other commands.
        const { runScenarioFiles } = await import("../../sim/run")
        const opts: NonNullable<Parameters<typeof runScenarioFiles>[1]> = {
            firmware: p.values["firmware"] as string | undefined,
            verbose: p.values["verbose"] === true,
            keepWorkDir: p.values["keep"] === true,
            brokerUrl: broker,
            outDir: out === undefined ? undefined : resolve(out),
        }
        try {
            const sip = p.values["sip"] as string | undefined
            if (sip) {
                const { sipOptionsFrom } = await import("../../sim/sip/options")
                opts.sip = await sipOptionsFrom(sip, {
                    user: p.values["sip-user"] as string | undefined,
                    password: p.values["sip-password"] as string | undefined,
                    local: p.values["sip-local"] as string | undefined,
                })
            }
            const { code } = await runScenarioFiles(p.positionals, opts)
            // npm sip leaves its TCP connections open (120 s idle timeout)
            // after its stack is destroyed: leave once the result is out
            if (opts.sip) setTimeout(() => process.exit(), 200).unref()
            return code === 0 ? EXIT_OK : EXIT_FAIL
        } catch (e) {
            if (e instanceof SimError) throw new CliError(e.message, e.details)
            throw e
        }
    },
}

export const sim: Command = {
    name: "sim",
    summary: "DeviceScript simulator: run scenarios against the firmware",
    help: `The simulator runs the firmware in the DeviceScript VM with simulated
handsets, SIP lines and a telephone exchange. For an interactive prompt
(lift, press, call, answer, ...) use 'npm run sim'.

Examples:
  dialguard sim run sim/scenarios
`,
    subcommands: [run],
}
