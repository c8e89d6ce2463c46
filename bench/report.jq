# bench/run.sh's result: every measurement, a list of figures and a list of
# ratios against the targets of the benchmark issue (bench/README.md).
# Inputs are --slurpfile arrays of one object each; a missing measurement is
# {"error": ...} and its figures and ratios come out as null / "n/a".

def one($a): $a[0] // {};
def r($x; $d): if $x == null then null else (($x * pow(10; $d)) | round) / pow(10; $d) end;
def div($a; $b): if $a == null or $b == null or $b == 0 then null else $a / $b end;
def point($x; $n): ((one($x).points // []) | map(select(.connections == $n)) | .[0].bytes_per_conn);
def verdict($ok): if $ok == null then "n/a" elif $ok then "met" else "MISSED" end;
def ge($v; $t): if $v == null then null else $v >= $t end;
def le($v; $t): if $v == null then null else $v <= $t end;
# 1000000 -> "1M", 100000 -> "100k" (names of sizes in the table).
def short: if . == null then "?" elif . >= 1000000 and . % 1000000 == 0 then "\(. / 1000000)M"
  elif . >= 1000 and . % 1000 == 0 then "\(. / 1000)k" else "\(.)" end;
def maxn($a; $b): [$a, $b] | map(select(. != null)) | if length == 0 then null else max end;

(one($config).idle_counts | split(",") | map(tonumber)) as $counts |
($counts[0]) as $c1 | ($counts[-1]) as $c2 |
one($ed).verify_per_s as $verify |
one($commit).p99_ms as $commit_p99 |
# Steady state: copies of agreements that were released, over the time to
# the last release (every cycle includes its release); all accepted copies
# over the whole run are shown too.
def steady($x): one($x) | (.released_copies_per_s // .copies_per_s);
steady($sign) as $accept |
# One core: every daemon thread pinned to one CPU (the load generator on
# another); on a one-CPU machine the shared run is that already.
(steady($sign_one) // $accept) as $accept_one |
steady($sign_big) as $accept_big |
(one($big).method == "journal") as $has_journal |
(if $has_journal then "store grown to \(one($big).journal_entries | short) journal entries" +
   (if one($big_fill).released != null then ", \(one($big_fill).released | short) released agreements" else "" end)
 else "+\(one($big).delivery_rows // "?") delivery rows" end) as $big_label |
one($drain).acks_per_s as $acks |
one($drain_single).acks_per_s as $acks_single |
maxn(one($mq_drain).msgs_per_s; one($mq_live).msgs_per_s) as $mq_rate |
one($latency).p99_ms as $lat_p99 |
one($hs).per_server_cpu_s as $hs_parley |
one($ss).per_server_cpu_s as $hs_openssl |
point($idle; $c1) as $rss_p1 | point($idle; $c2) as $rss_p2 |
point($mq_idle; $c1) as $rss_m1 | point($mq_idle; $c2) as $rss_m2 |
div($accept; $verify) as $acc_ratio |
div($accept_one; $verify) as $acc_ratio_one |
# CPU per accepted copy over the CPU of one Ed25519 verification (1 /
# openssl speed's rate on one core): 1.0 is the verification alone.
(if one($sign_cpu).cpu_s_per_copy == null or $verify == null then null
 else one($sign_cpu).cpu_s_per_copy * $verify end) as $cpu_ratio |
(if one($sign_one_cpu).cpu_s_per_copy == null or $verify == null then null
 else one($sign_one_cpu).cpu_s_per_copy * $verify end) as $cpu_ratio_one |
def us($x): if $x == null then null else r($x * 1000000; 1) end;
# The floor under it (bench/copy_floor.c): TLS + verification + durable
# append + release, per copy, on one thread, against the same verification.
one($copy_floor).cpu_us_per_copy as $floor_us |
(if $floor_us == null or $verify == null then null else $floor_us * $verify / 1000000 end) as $floor_ratio |
# The release latency's floor: two FULL commits (the commit baseline's p99),
# one Ed25519 verification, and one loopback round trip per endpoint of the
# latency run (N x M), at the round trip's mean: a release's round trips
# are a sum, and a sum of many is near their count times the mean (the
# median jumps between the two modes of a loopback round trip, same CPU or
# across CPUs; the p99 would count the rare slow one N x M times).
(one($latency).connections // (one($config).parties * one($config).endpoints_per_party)) as $lat_eps |
def floor_ms($rtt): if $commit_p99 == null or $verify == null or $verify == 0 or $rtt == null
  then null else 2 * $commit_p99 + 1000 / $verify + $lat_eps * $rtt end;
floor_ms(one($rtt).mean_ms) as $lat_floor |
floor_ms(one($rtt).p99_ms) as $lat_floor_p99 |
# The latency of a minimal server doing the same steps (copy-floor --latency).
one($latency_floor).p99_ms as $lat_min_p99 |
# Start-up after kill -9 and a party's connect: big store over empty store.
one($startup_big).median_ms as $up_big | one($startup_empty).median_ms as $up_empty |
one($connect_big).p50_ms as $cn_big | one($connect_empty).p50_ms as $cn_empty |
def nj($x): if $has_journal then $x else "n/a (no journal yet)" end;
{
  env: (one($env) + one($env_end)),
  config: one($config),
  baselines: {
    ed25519: one($ed),
    sqlite_commit: one($commit),
    openssl_s_server: one($ss),
    mosquitto: (one($mosq) + {idle: one($mq_idle), drain: one($mq_drain), live: one($mq_live)}),
    copy_cpu_floor: one($copy_floor),
    release_latency_floor: one($latency_floor),
    idle_connection_floor: (one($tls_mem) | {bytes_per_conn: .floor_bytes_per_conn,
      ratio_to_openssl: .floor_ratio, openssl_bytes_per_conn: .bytes_per_conn,
      openssl_chunk_bytes_per_conn, bufferevent_bytes_per_conn, libevent_bytes_per_conn,
      libevent_allocs_per_conn, floor_checked, malloc_bytes_per_conn,
      rss_bytes_per_conn, how: .floor_how})
  },
  parley: {
    accept_calibration: one($sign_cal),
    accept: one($sign),
    accept_one_core: one($sign_one),
    accept_cpu: one($sign_cpu),
    accept_one_core_cpu: one($sign_one_cpu),
    drain: one($drain),
    drain_one_per_ack: one($drain_single),
    latency: one($latency),
    handshake: one($hs),
    handshake_s_time: one($stp),
    idle: one($idle),
    tls_mem: one($tls_mem),
    accept_big_store: one($sign_big),
    latency_big_store: one($latency_big),
    big_store: one($big),
    journal: one($journal)
  },
  big_store_fill: one($big_fill),
  startup_after_kill9: {big_store: one($startup_big), empty_store: one($startup_empty)},
  connect: {big_store: one($connect_big), empty_store: one($connect_empty)},
  loopback_rtt: one($rtt),
  postgresql: {
    accept: one($pg_sign),
    latency: one($pg_latency),
    takeover: one($pg_takeover)
  },
  figures: [
    {name: "Ed25519 verify/s, one core (openssl speed)", value: r($verify; 0), unit: "1/s"},
    {name: "SQLite single-row synchronous=FULL commit p99 (mean of 2)", value: r($commit_p99; 3), unit: "ms"},
    {name: "  just before / just after the latency run", unit: "ms",
     value: "\(r(one($commit).before.p99_ms; 3)) / \(r(one($commit).after.p99_ms; 3))"},
    {name: "  commit p50, before / after", unit: "ms",
     value: "\(r(one($commit).before.p50_ms; 3)) / \(r(one($commit).after.p50_ms; 3))"},
    {name: "journal entries when the acceptance run starts", value: one($journal).entries_at_accept_run, unit: "entries"},
    {name: "signed copies accepted/s, released agreements (empty store)", value: r($accept; 1), unit: "1/s"},
    {name: "  all copies accepted / whole run (incl. grace)", value: r(one($sign).copies_per_s; 1), unit: "1/s"},
    {name: "  copies accepted / released / unanswered at the end", unit: "n",
     value: "\(one($sign).accepted) / \(one($sign).releases) / \(one($sign).unanswered)"},
    {name: "  the same with parleyd started on one CPU", value: r($accept_one; 1), unit: "1/s"},
    {name: "signed copies accepted/s, released agreements (\($big_label))", value: r($accept_big; 1), unit: "1/s"},
    {name: "  copies accepted / released / unanswered at the end", unit: "n",
     value: "\(one($sign_big).accepted) / \(one($sign_big).releases) / \(one($sign_big).unanswered)"},
    {name: "  releasing copy answered after, p50 (\($big_label))", value: r(one($latency_big).last_copy_ok_p50_ms; 1), unit: "ms"},
    {name: "journal entries when the latency run starts", value: one($journal).entries_at_latency_run, unit: "entries"},
    {name: "release latency samples", value: one($latency).samples, unit: "n"},
    {name: "release latency p50 (last copy in -> all endpoints acked)", value: r(one($latency).p50_ms; 3), unit: "ms"},
    {name: "  releasing copy answered after, p50", value: r(one($latency).last_copy_ok_p50_ms; 3), unit: "ms"},
    {name: "release latency p99", value: r($lat_p99; 3), unit: "ms"},
    {name: "release latency max", value: r(one($latency).max_ms; 3), unit: "ms"},
    {name: "loopback round trip (loadgen rtt, 64 B) p50 / p99 / mean", unit: "ms",
     value: "\(r(one($rtt).p50_ms; 4)) / \(r(one($rtt).p99_ms; 4)) / \(r(one($rtt).mean_ms; 4))"},
    {name: "release latency floor (2 commit p99 + verify + \($lat_eps) x RTT mean)", value: r($lat_floor; 3), unit: "ms"},
    {name: "a minimal server's release latency (copy-floor --latency) p50 / p99", unit: "ms",
     value: "\(r(one($latency_floor).p50_ms; 3)) / \(r($lat_min_p99; 3))"},
    {name: "durable deliveries acked/s (pre-queued backlog, one Ack a read)", value: r($acks; 0), unit: "1/s"},
    {name: "  first ack answered after / deliveries pushed by then", unit: "s / n",
     value: "\(r(one($drain).first_ack_ok_s; 3)) / \(one($drain).deliveries_before_first_ok)"},
    {name: "  deliveries acked / average size", unit: "n / bytes",
     value: "\(one($drain).acks_ok) / \(r(one($drain).avg_delivery_bytes; 0))"},
    {name: "durable deliveries acked/s, one Ack per delivery (same backlog)", value: r($acks_single; 0), unit: "1/s"},
    {name: "  deliveries acked / average size", unit: "n / bytes",
     value: "\(one($drain_single).acks_ok) / \(r(one($drain_single).avg_delivery_bytes; 0))"},
    {name: "mosquitto QoS 1 msgs/s, queued then drained", value: r(one($mq_drain).msgs_per_s; 0), unit: "1/s"},
    {name: "mosquitto QoS 1 msgs/s, live publisher", value: r(one($mq_live).msgs_per_s; 0), unit: "1/s"},
    {name: "parleyd RSS per idle mutual-TLS endpoint at \($c1)", value: r($rss_p1; 0), unit: "bytes"},
    {name: "parleyd RSS per idle mutual-TLS endpoint at \($c2)", value: r($rss_p2; 0), unit: "bytes"},
    {name: "  of it OpenSSL's (counted in-process, parleyd's TLS context)", value: r(one($tls_mem).bytes_per_conn; 0), unit: "bytes"},
    {name: "  floor: OpenSSL's + its bufferevent_openssl, as malloc holds them", value: r(one($tls_mem).floor_bytes_per_conn; 0), unit: "bytes"},
    {name: "    of it the bufferevent, its evbuffers and the loop's share", value: r(one($tls_mem).bufferevent_bytes_per_conn; 0), unit: "bytes"},
    {name: "mosquitto RSS per idle mutual-TLS connection at \($c1)", value: r($rss_m1; 0), unit: "bytes"},
    {name: "mosquitto RSS per idle mutual-TLS connection at \($c2)", value: r($rss_m2; 0), unit: "bytes"},
    {name: "parleyd handshakes (to Welcome) per server CPU-second", value: r($hs_parley; 0), unit: "1/cpu-s"},
    {name: "parleyd handshakes (openssl s_time) per server CPU-second", value: r(one($stp).per_server_cpu_s; 0), unit: "1/cpu-s"},
    {name: "openssl s_server handshakes per server CPU-second", value: r($hs_openssl; 0), unit: "1/cpu-s"},
    {name: "parleyd CPU per accepted copy (both cores / one core)", unit: "us",
     value: "\(us(one($sign_cpu).cpu_s_per_copy)) / \(us(one($sign_one_cpu).cpu_s_per_copy))"},
    {name: "  one Ed25519 verification (1 / openssl speed)", value: r(div(1000000; $verify); 1), unit: "us"},
    {name: "CPU per copy floor (copy-floor: TLS + verify + durable append + release)", value: r($floor_us; 1), unit: "us"},
    {name: "  split: TLS and the loop / verify / durable append / release", unit: "us",
     value: (one($copy_floor).split_us | if . == null then null
       else "\(r(.tls; 1)) / \(r(.verify; 1)) / \(r(.durable_append; 1)) / \(r(.release; 1))" end)},
    {name: "  TLS and the loop alone, at full speed (larger reads)", value: r(one($copy_floor).tls_at_full_speed_us; 1), unit: "us"},
    {name: "  one verification in-process, alone / inside the full phase", unit: "us",
     value: "\(r(one($copy_floor).verify_us; 1)) / \(r(one($copy_floor).phases.all.verify_wall_us; 1))"},
    {name: "  copies per commit / copies/s (full phase)", unit: "n / 1/s",
     value: "\(r(one($copy_floor).phases.all.copies_per_commit; 1)) / \(r(one($copy_floor).phases.all.copies_per_s; 0))"},
    {name: "big store: agreements released through parleyd / journal entries", unit: "n",
     value: "\(one($big_fill).released) / \(one($big).journal_entries)"},
    {name: "  filled in (create+circulate / sign / drain / journal-fill)", unit: "s",
     value: "\(one($big_fill).total_s) (\(one($big_fill).create_circulate_s) / \(one($big_fill).sign_s) / \(one($big_fill).drain_s) / \(one($big_fill).journal_fill_s))"},
    {name: "  parleyctl journal verify on it", unit: "-",
     value: (one($big).journal_verify | if . == null then null elif .ok then "ok, \(.entries) entries, \(.seconds) s" else "REFUSED: \(.error)" end)},
    {name: "start-up after kill -9 to first accepted copy, median (big store)", value: r($up_big; 1), unit: "ms"},
    {name: "  every round", unit: "ms", value: (one($startup_big).ok_ms // [] | map(tostring) | join(" "))},
    {name: "  of it listening / Welcome (medians)", unit: "ms",
     value: "\(r(one($startup_big).listening_median_ms; 1)) / \(r(one($startup_big).welcome_median_ms; 1))"},
    {name: "start-up after kill -9 to first accepted copy, median (empty store)", value: r($up_empty; 1), unit: "ms"},
    {name: "  every round", unit: "ms", value: (one($startup_empty).ok_ms // [] | map(tostring) | join(" "))},
    {name: "  of it listening / Welcome (medians)", unit: "ms",
     value: "\(r(one($startup_empty).listening_median_ms; 1)) / \(r(one($startup_empty).welcome_median_ms; 1))"},
    {name: "a party's connect p50 / p99 (big store, proof \(one($connect_big).known_size) -> \(one($connect_big).tree_size))", unit: "ms",
     value: "\(r($cn_big; 2)) / \(r(one($connect_big).p99_ms; 2))"},
    {name: "  proof answered after (p50) / parleyd CPU per connect", unit: "ms",
     value: "\(r(one($connect_big).proof_in_p50_ms; 2)) / \(one($connect_big).server_cpu_ms_per_connect)"},
    {name: "a party's connect p50 / p99 (empty store, proof \(one($connect_empty).known_size) -> \(one($connect_empty).tree_size))", unit: "ms",
     value: "\(r($cn_empty; 2)) / \(r(one($connect_empty).p99_ms; 2))"},
    {name: "  proof answered after (p50) / parleyd CPU per connect", unit: "ms",
     value: "\(r(one($connect_empty).proof_in_p50_ms; 2)) / \(one($connect_empty).server_cpu_ms_per_connect)"},
    {name: "PostgreSQL record (sync standby): copies/s of released agreements", value: r(steady($pg_sign); 1), unit: "1/s"},
    {name: "  the same with the record in SQLite (above)", value: r($accept; 1), unit: "1/s"},
    {name: "PostgreSQL record: release latency p50 / p99", unit: "ms",
     value: "\(r(one($pg_latency).p50_ms; 3)) / \(r(one($pg_latency).p99_ms; 3))"},
    {name: "PostgreSQL record: takeovers (kill -9 -> first copy accepted)", value: one($pg_takeover).takeovers, unit: "n"},
    {name: "  takeover p50 / max", unit: "ms",
     value: "\(one($pg_takeover).p50_ms) / \(one($pg_takeover).max_ms)"}
  ],
  ratios: [
    {name: "parleyd CPU per accepted copy / one Ed25519 verification (both cores)",
     value: r($cpu_ratio; 3), target: "<= 1.4", verdict: verdict(le($cpu_ratio; 1.4))},
    {name: "  the same, parleyd on one core", value: r($cpu_ratio_one; 3), target: "<= 1.4",
     verdict: verdict(le($cpu_ratio_one; 1.4))},
    {name: "  CPU per copy floor (TLS + verify + durable append + release, bench/copy_floor.c) / one verification",
     value: r($floor_ratio; 3), target: "-", verdict: "floor"},
    {name: "  parleyd CPU per accepted copy (one core) / that floor", value: r(div($cpu_ratio_one; $floor_ratio); 3),
     target: "-", verdict: "shown"},
    {name: "  (before issue 25) accepted/s / Ed25519 verify/s, one core / both",
     value: "\(r($acc_ratio_one; 3)) / \(r($acc_ratio; 3))", target: "-", verdict: "shown"},
    {name: "release latency p99 / its floor (2 commit p99 + 1 verify + RTT per endpoint)",
     value: r(div($lat_p99; $lat_floor); 3), target: "<= 2.0", verdict: verdict(le(div($lat_p99; $lat_floor); 2.0))},
    {name: "  the same with the round trip's p99 in the floor", value: r(div($lat_p99; $lat_floor_p99); 3),
     target: "-", verdict: "shown"},
    {name: "  release latency p99 / commit p99 (the old ratio)", value: r(div($lat_p99; $commit_p99); 3),
     target: "-", verdict: "shown"},
    {name: "  a minimal server's release latency p99 (copy-floor --latency) / the same floor",
     value: r(div($lat_min_p99; $lat_floor); 3), target: "-", verdict: "floor"},
    {name: "  parleyd's release latency p99 / the minimal server's", value: r(div($lat_p99; $lat_min_p99); 3),
     target: "-", verdict: "shown"},
    {name: "RSS per idle endpoint / OpenSSL's own per connection, at \($c2)",
     value: r(div($rss_p2; one($tls_mem).bytes_per_conn); 3), target: "<= 1.1",
     verdict: verdict(le(div($rss_p2; one($tls_mem).bytes_per_conn); 1.1))},
    {name: "  RSS floor: one idle TLS connection in a bufferevent_openssl, all it allocates, / OpenSSL's own",
     value: r(one($tls_mem).floor_ratio; 3), target: "-", verdict: "floor"},
    {name: "  RSS per idle endpoint / that floor", value: r(div($rss_p2; one($tls_mem).floor_bytes_per_conn); 3),
     target: "-", verdict: "shown"},
    {name: "durable acks/s / mosquitto QoS 1 msgs/s (better of two)", value: r(div($acks; $mq_rate); 3),
     target: ">= 1.25", verdict: verdict(ge(div($acks; $mq_rate); 1.25))},
    {name: "  the same with one Ack per delivery", value: r(div($acks_single; $mq_rate); 3),
     target: ">= 1.1", verdict: verdict(ge(div($acks_single; $mq_rate); 1.1))},
    (if $has_journal then
      {name: "acceptance at \(one($big).journal_entries) journal entries / empty store",
       value: r(div($accept_big; $accept); 3),
       target: ">= 0.95", verdict: verdict(ge(div($accept_big; $accept); 0.95))}
     else
      {name: "acceptance at 1M journal entries / empty store", value: "n/a",
       target: ">= 0.95", verdict: "n/a (no journal yet)"}
     end),
    {name: "start-up after kill -9 to first accepted copy, \(one($big_fill).journal_entries // one($config).big_rows | short) entries + \(one($big_fill).released // one($config).big_agreements | short) released / empty",
     value: nj(r(div($up_big; $up_empty); 3)), target: "<= 2",
     verdict: nj(verdict(le(div($up_big; $up_empty); 2)))},
    {name: "a party's connect, proof from \(one($big_fill).connect_behind // one($config).connect_behind | short) back, at \(one($big_fill).journal_entries // one($config).big_rows | short) entries / empty (p50)",
     value: nj(r(div($cn_big; $cn_empty); 3)), target: "<= 1.5",
     verdict: nj(verdict(le(div($cn_big; $cn_empty); 1.5)))},
    {name: "  the same at p99", value: nj(r(div(one($connect_big).p99_ms; one($connect_empty).p99_ms); 3)),
     target: "-", verdict: "shown"},
    {name: "handshakes per CPU-s / openssl s_server's", value: r(div($hs_parley; $hs_openssl); 3),
     target: ">= 1.3", verdict: verdict(ge(div($hs_parley; $hs_openssl); 1.3))}
]
}
