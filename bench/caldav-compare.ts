// Side by side: the shared CalDAV benchmark's reports (.tsv) of vdirsyncer and calsync
// from one run of bench/caldav-peers.sh. Per target, size and step: wall seconds of each
// engine, how many times faster calsync is, and calsync's wall time over the CPU time
// the two servers spent in that step (for initial and incremental passes nearly all of
// it on the writes; 1.00 means calsync waited for nothing but the servers).
//   node --import tsx bench/caldav-compare.ts VDIRSYNCER.tsv CALSYNC.tsv
import fs from 'node:fs';

interface Row {
  engine: string; target: string; n: number; step: string; wall: number; rssMb: number; cpu: number;
  requests: number; byMethod: string; serverCpu: number; verify: string;
}

function read(file: string): Row[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const names = header!.split('\t');
  return lines.map((line) => {
    const f = Object.fromEntries(line.split('\t').map((value, i) => [names[i], value]));
    return {
      engine: f.engine!, target: f.target!, n: Number(f.n), step: f.step!, wall: Number(f.wall_s), rssMb: Number(f.maxrss_kb) / 1024,
      cpu: Number(f.user_s) + Number(f.sys_s), requests: Number(f.requests), byMethod: f.requests_by_method!,
      serverCpu: Number(f.server_cpu_a_s) + Number(f.server_cpu_b_s), verify: f.verify!,
    };
  });
}

const [vdirFile, calsyncFile] = process.argv.slice(2);
if (!vdirFile || !calsyncFile) {
  console.error('usage: node --import tsx bench/caldav-compare.ts VDIRSYNCER.tsv CALSYNC.tsv');
  process.exit(2);
}
const vdir = read(vdirFile);
const calsync = read(calsyncFile);
const key = (r: Row): string => `${r.target}/${r.n}/${r.step}`;
const peer = new Map(vdir.map((r) => [key(r), r]));

console.log('| B server | N | step | vdirsyncer s | calsync s | calsync faster | calsync / server CPU | calsync requests | calsync MiB | vdirsyncer MiB | verified |');
console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|');
for (const c of calsync.filter((r) => r.step !== 'discover')) {
  const v = peer.get(key(c));
  const faster = v ? `${(v.wall / c.wall).toFixed(1)}x` : '-';
  const overServers = c.step === 'noop' || c.serverCpu === 0 ? '-' : (c.wall / c.serverCpu).toFixed(2);
  const verified = c.verify.startsWith('ok') && (!v || v.verify.startsWith('ok')) ? 'both' : `calsync ${c.verify.split('(')[0]}, vdirsyncer ${v?.verify.split('(')[0] ?? '-'}`;
  console.log(`| ${c.target} | ${c.n} | ${c.step} | ${v ? v.wall.toFixed(2) : '-'} | ${c.wall.toFixed(2)} | ${faster} | ${overServers} | ${c.requests} | ${c.rssMb.toFixed(0)} | ${v ? v.rssMb.toFixed(0) : '-'} | ${verified} |`);
}
