// `dialguard report`: a site's month, per handset and department, with the
// premium-line attempts and the long-distance register.

import { Policy } from "../../devs/policy/types"
import { CliError, Command, EXIT_OK, parseOptions, required } from "../command"
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
import { monthOption, noPositionals, siteOption } from "../fleet/options"
import {
    buildReport,
    readCounters,
    readRegister,
    RegisterError,
} from "../fleet/report"
import { renderReportText, writeReportCsv } from "../fleet/reportFormat"
import { CallRecord } from "../fleet/topics"
import { buildBill } from "../fleet/bill"
import { billSheets, Lang } from "../fleet/billSheets"
import { billText, writeBillCsv, writeBillXlsx } from "../fleet/billOutput"
import { csvStem } from "../fleet/reportFormat"
import { UsageError } from "../command"
import { yuan } from "../fleet/pricing"
import { loadPolicy } from "../policyFile"

const HELP = `Usage:
  dialguard report --broker URL --site ID --month YYYY-MM [--policy FILE]
                   [--calls DIR] [--key KEYFILE [--old-key OLDKEYFILE]] [--csv FILE | --csv DIR/]
                   [--xlsx FILE] [--lang zh|en] [--json] [broker options]

The month of site ID, from the boards' retained counters
(dialguard/<site>/<board>/counters/<YYYY-MM>, summed over boards):
- per handset: calls and minutes by category (local, mobile, domestic,
  international, ...) for the bill split (rule (二)3.7), blocked
  premium-line attempts (rule (一)5: the handset is named for the fine),
  other blocked attempts, and incoming calls (rule (一)8, answer within
  three rings) seen two ways:
    the handset's view, who let it ring (each handset a call rang at):
      on time    answered within 3 of its own rings
      late       answered later
      forwarded  passed on unanswered after the site's ringsBeforeForward
      missed     the caller gave up while it rang
    the caller's view (each call once, at the handset where it ended):
      ended      calls that ended there, answered or given up
      ≤3 rings   the share of them answered within 3 rings of the caller's
                 first ring, counting the rings at every handset the call
                 was forwarded from (3 unanswered at 8001, then answered on
                 the 1st at 8101: on time for 8101, 4 rings for the caller)
  and a line for the whole site;
- per department, the same summed (needs --policy to map extensions to
  departments; extensions not in it are grouped as "(not in policy)");
- the premium-line attempts, most first;
- the long-distance register (rule (一)4): handset, number, start in
  Beijing time, duration, from the call records 'dialguard collect' keeps
  (they are not retained on the broker, so only a running collector sees
  them all). Without --calls the register is left out.

With --policy and --calls, the bill (issue 11; rules (二)3.7, 3.7.2, (一)5):
every call record priced with the policy's "tariffs" (in 分; 元 with 2
decimals on output), per handset (话费汇总) and per responsible person
(责任人: the handset's "owner", several sharing equally; without one the
department's "head"), per department; premium-rate attempts (声讯台) with
the fine ("premiumFine", default 100 元) charged to the owner(s), or shared
by the department when the handset has no owner; the long-distance register
(长途登记) priced; missed incoming calls (未接来电) with the caller's number
to call back. Categories without a tariff are listed with calls and billed
minutes but no price, and the report says so. Each handset's records are
compared with its counters and differences are pointed out (a board's flash
keeps 64 records the broker has not taken yet; older ones are dropped and
counted in its state).

With --key (the site key file) the boards' counters (and states) are
verified: each board signs its messages with its own key (derived from the
site key) and a counter that only grows. A forged, unsigned or replayed
(older than one seen before) counters message is not counted: a warning
names the board and the month, --json lists them in "refused", exit status
3. The counters seen are kept in KEYFILE.seen.json (for the replays).
Without --key nothing is verified (a warning says so).

Months are Beijing time. Calls a board made before it knew the date are
counted under month "unknown"; the report points them out
(--month unknown shows them).

Options:
  --site ID          site id (a-z 0-9 -)
  --month YYYY-MM    the month, e.g. 2026-11
  --policy FILE      the site's policy: handset names and departments
  --calls DIR        the folder 'dialguard collect --out DIR' writes
                     (reads DIR/calls.sqlite, or the calls-*.jsonl files of
                     older versions; a folder, not a file)
  --key KEYFILE      site key file: verify the boards' signed counters
${OLD_KEY_HELP}
  --csv FILE         also write CSV files for Excel: FILE-handsets.csv,
                     FILE-departments.csv (with --policy) and
                     FILE-long-distance.csv (with --calls); "FILE.csv" may be
                     given, the .csv is dropped first. A folder (DIR/, or an
                     existing one) gets DIR/<site>-<month>-handsets.csv and
                     so on. UTF-8 with BOM, CRLF, quoted as RFC 4180;
                     numbers dialled are written as ="0105..." so that Excel
                     keeps the leading 0. Headers in one language per file
                     (--lang), the same columns every month, whole numbers:
                     per category calls, talk seconds (the boards' counters)
                     and with --calls whole billed minutes from the records
                     (every started minute; blank where records of older
                     firmware, long distance only, cannot tell)
                     With the bill also FILE-bill-handsets.csv, -owners,
                     -departments, -long-distance, -premium, -missed:
                     headers in one language (--lang), whole billed minutes,
                     money as 元 with 2 decimals
  --xlsx FILE        the bill as an Excel workbook (needs --policy and
                     --calls): sheets 话费汇总, 责任人, 部门, 长途登记,
                     声讯台, 未接来电; money as numbers (0.00), times as
                     dates, numbers as text; A4 landscape, one page wide
  --lang zh|en       language of the CSV and workbook headers (default zh)
  --json             print the report as JSON instead of the tables
${BROKER_HELP}
  -h, --help         show this help

Exit status: 0 report printed (also when no board has counters for the
month: a warning says so); 3 report printed, but a board's counters (or
state) were refused and are not in it; 1 broker unreachable, unreadable
policy or call folder, bad key file, CSV not writable; 2 usage error.

Example:
  dialguard report --broker mqtt://127.0.0.1:1883 --site hq --month 2026-11 \\
      --policy sim/policies/hq.policy.json --calls /var/lib/dialguard/hq --csv hq-2026-11.csv
`

const OPTIONS = {
    ...BROKER_OPTIONS,
    site: { type: "string" },
    month: { type: "string" },
    policy: { type: "string" },
    calls: { type: "string" },
    key: { type: "string" },
    "old-key": { type: "string" },
    csv: { type: "string" },
    xlsx: { type: "string" },
    lang: { type: "string" },
    json: { type: "boolean" },
} as const

export const report: Command = {
    name: "report",
    summary:
        "a month per handset and department, premium attempts, long-distance register (table, CSV, JSON)",
    help: HELP,
    async run(args) {
        const p = parseOptions(args, OPTIONS)
        noPositionals(p)
        const broker = brokerSettings(p)
        const site = siteOption(p) ?? required(p, "site", "ID (the site id)")
        const month = monthOption(p)
        const policyFile = p.values["policy"] as string | undefined
        const callsDir = p.values["calls"] as string | undefined
        const csv = p.values["csv"] as string | undefined
        const xlsx = p.values["xlsx"] as string | undefined
        const lang = (p.values["lang"] as string | undefined) ?? "zh"
        if (lang !== "zh" && lang !== "en")
            throw new UsageError(
                `--lang must be zh or en, not ${JSON.stringify(lang)}`
            )
        if (xlsx && !(policyFile && callsDir))
            throw new UsageError(
                "--xlsx needs --policy FILE and --calls DIR (the bill is priced from the call records with the policy's tariffs)"
            )

        let policy: { file: string; policy: Policy } | undefined
        if (policyFile)
            policy = { file: policyFile, policy: loadPolicy(policyFile).policy }
        const { verifier, seenFile } = verifierFromKeyFile(
            p.values["key"] as string | undefined,
            p.values["old-key"] as string | undefined
        )
        const warnings: string[] = []
        let register:
            { file: string; calls: CallRecord[]; all: CallRecord[] } | undefined
        if (callsDir) {
            try {
                register = readRegister(callsDir, month, warnings)
            } catch (e) {
                if (e instanceof RegisterError) throw new CliError(e.message)
                throw e
            }
        }
        const conn = await FleetConnection.connect(broker, {
            clientId: randomClientId("report"),
        })
        let counters
        try {
            counters = await readCounters(
                conn,
                site,
                month,
                verifier,
                new SeenCounters(seenFile)
            )
        } finally {
            await conn.close()
        }
        if (counters.acc.messages === 0)
            warnings.push(
                `no board has counters for ${month} under dialguard/${site}/ (wrong --site or --month?)`
            )
        const r = buildReport({
            site,
            month,
            acc: counters.acc,
            unknownMonth: counters.unknownMonth,
            policy,
            register,
            warnings,
        })
        r.refused = counters.refused
        const bill =
            policy && register
                ? buildBill(policy.policy, register.all, counters.acc.handsets)
                : undefined
        if (bill) {
            r.bill = bill
            if (bill.unpriced.length)
                r.warnings.push(
                    `no tariff for ${bill.unpriced.join(", ")} in ${policy!.file}: those calls are listed with minutes but not priced`
                )
            for (const m of bill.mismatches)
                r.warnings.push(
                    `handset ${m.extension}: ${m.what}: ${m.records} in the call records, ${m.counters} on its counters`
                )
        }
        for (const w of r.warnings)
            process.stderr.write(`dialguard: warning: ${w}\n`)
        const sheets = bill ? billSheets(bill, lang as Lang) : undefined
        if (csv) {
            let files: string[]
            try {
                files = writeReportCsv(r, csv, lang as Lang)
            } catch (e) {
                const err = e as NodeJS.ErrnoException
                const why =
                    err.code === "ENOENT"
                        ? "no such folder"
                        : err.code === "EACCES"
                          ? "permission denied"
                          : err.message
                throw new CliError(
                    `cannot write CSV ${err.path ?? csv}: ${why}`
                )
            }
            if (sheets)
                try {
                    files.push(...writeBillCsv(sheets, csvStem(csv, r)))
                } catch (e) {
                    throw new CliError(
                        `cannot write CSV: ${(e as Error).message}`
                    )
                }
            for (const f of files)
                process.stderr.write(`dialguard: wrote ${f}\n`)
        }
        if (xlsx && sheets) {
            try {
                await writeBillXlsx(sheets, xlsx, { site, month })
            } catch (e) {
                throw new CliError(
                    `cannot write ${xlsx}: ${(e as Error).message}`
                )
            }
            process.stderr.write(`dialguard: wrote ${xlsx}\n`)
        }
        let text = renderReportText(r)
        if (bill && sheets)
            text +=
                `\nBill (话费) from the call records, tariffs of ${policy!.file}: ` +
                `calls ${yuan(bill.total.fen)} 元, premium fines ${yuan(bill.total.fines)} 元, ` +
                `total ${yuan(bill.total.fen + bill.total.fines)} 元\n\n` +
                billText(sheets)
        else if (!p.values["json"])
            text += `\nBill: give --policy FILE and --calls DIR to price the month's calls.\n`
        process.stdout.write(p.values["json"] ? JSON.stringify(r) + "\n" : text)
        // (3: a board's messages were refused, the report lacks them)
        return r.refused.length ? 3 : EXIT_OK
    },
}
