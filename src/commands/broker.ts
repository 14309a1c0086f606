// `dialguard broker`: an in-process MQTT broker for a quick start.

import {
    CliError,
    Command,
    EXIT_OK,
    parseOptions,
    UsageError,
} from "../command"
import { listenError, startEmbeddedBroker } from "../fleet/embedded"
import { noPositionals } from "../fleet/options"

const HELP = `Usage:
  dialguard broker [--port 1883] [--host 127.0.0.1]

Runs an MQTT 3.1.1 broker (aedes) in this process until Ctrl-C, and prints
its URL (e.g. mqtt://127.0.0.1:1883) on stdout. Enough to try DialGuard
with the simulator or a board on the desk: no login, no TLS, everything in
memory (retained policies and queued call records are gone when it
stops). For a site, run a real broker (mosquitto) with logins and TLS.

Options:
  --port N       TCP port (default 1883; 0 picks a free one)
  --host ADDR    address to listen on (default 127.0.0.1, this machine only;
                 0.0.0.0 lets boards on the LAN connect)
  -h, --help     show this help

Exit status: 0 stopped by Ctrl-C or SIGTERM; 1 it cannot listen there (the
port is taken, no such address); 2 usage error.

Example:
  dialguard broker --port 1883 &
  dialguard status --broker mqtt://127.0.0.1:1883
`

const OPTIONS = { port: { type: "string" }, host: { type: "string" } } as const

export const broker: Command = {
    name: "broker",
    summary: "run a small MQTT broker in this process (quick start, no setup)",
    help: HELP,
    async run(args) {
        const p = parseOptions(args, OPTIONS)
        noPositionals(p)
        const portText = (p.values["port"] as string | undefined) ?? "1883"
        const port = Number(portText)
        if (!/^\d+$/.test(portText) || port > 65535)
            throw new UsageError(
                `bad --port ${JSON.stringify(portText)} (0-65535)`
            )
        const host = (p.values["host"] as string | undefined) ?? "127.0.0.1"
        let b
        try {
            b = await startEmbeddedBroker(port, host)
        } catch (e) {
            const why = listenError(e, host, port)
            if (!why) throw e
            throw new CliError(
                `${why}; pick another port with --port N (0: any free one)`
            )
        }
        process.stdout.write(b.url + "\n")
        process.stderr.write(
            `dialguard: MQTT broker listening on ${b.url} (in memory; Ctrl-C stops it)\n`
        )
        await new Promise<void>(resolve => {
            const stop = () => resolve()
            process.once("SIGINT", stop)
            process.once("SIGTERM", stop)
        })
        await b.close()
        return EXIT_OK
    },
}
