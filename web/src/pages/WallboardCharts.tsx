// The wallboard's charts over the day, drawn with uPlot: loaded as a chunk
// of its own (Wallboard.tsx imports it lazily) so the grid paints first.
import { useEffect, useMemo, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface DayBucket {
  start?: string;
  joined?: number;
  answered?: number;
  abandoned?: number;
  timed_out?: number;
}
export interface Sample {
  t: number;
  available: number;
  on_call: number;
  ringing: number;
  wrap_up: number;
  paused: number;
  /** live: sampled from the stream's rows (else an interval of the day). */
  live?: boolean;
}
/** StateBucket is an interval of GET /supervisor/day's agent_states. */
export interface StateBucket {
  start?: string;
  available?: number;
  on_call?: number;
  ringing?: number;
  wrap_up?: number;
  paused?: number;
}
interface Deltas {
  answered: number;
  abandoned: number;
  timed_out: number;
  joined: number;
}

function Plot({ title, opts, data }: { title: string; opts: Omit<uPlot.Options, "width" | "height">; data: uPlot.AlignedData }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(300, el.clientWidth);
    plot.current = new uPlot({ ...opts, width: width(), height: 220 } as uPlot.Options, data, el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: width(), height: 220 }));
    ro.observe(el);
    return () => { ro.disconnect(); plot.current?.destroy(); plot.current = null; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  useEffect(() => { plot.current?.setData(data); }, [data]);
  return (
    <figure className="wb-chart" data-points={data[0].length}>
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}

const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";

/**
 * Charts: queue calls per interval over the day (from GET
 * /supervisor/day, the current interval moved on by the stream's
 * counters) and agents by state over the day (the mean per interval
 * from GET /supervisor/day's agent_states, then sampled every 10 s from
 * the stream's rows).
 */
export default function WallboardCharts({ day, deltas, version, samples }: { day: DayBucket[] | null; deltas: Deltas; version: number; samples: Sample[] }) {
  const [buckets, setBuckets] = useState<DayBucket[]>([]);
  useEffect(() => { if (day) setBuckets(day); }, [day]);
  // Fold the stream's new answered / abandoned / timed-out calls into the
  // current interval.
  useEffect(() => {
    if (!deltas.answered && !deltas.abandoned && !deltas.timed_out && !deltas.joined) return;
    const d = { ...deltas };
    deltas.answered = deltas.abandoned = deltas.timed_out = deltas.joined = 0;
    setBuckets((bs) => {
      if (!bs.length) return bs;
      const last = { ...bs[bs.length - 1] };
      last.answered = (last.answered ?? 0) + d.answered;
      last.abandoned = (last.abandoned ?? 0) + d.abandoned;
      last.timed_out = (last.timed_out ?? 0) + d.timed_out;
      last.joined = (last.joined ?? 0) + d.joined;
      return [...bs.slice(0, -1), last];
    });
  }, [version, deltas]);
  const dayData = useMemo<uPlot.AlignedData>(() => [buckets.map((b) => Date.parse(b.start ?? "") / 1000), buckets.map((b) => b.answered ?? 0), buckets.map((b) => b.abandoned ?? 0), buckets.map((b) => b.timed_out ?? 0)], [buckets]);
  const stateData = useMemo<uPlot.AlignedData>(() => [samples.map((s) => s.t), samples.map((s) => s.available), samples.map((s) => s.on_call), samples.map((s) => s.ringing), samples.map((s) => s.wrap_up), samples.map((s) => s.paused)], [samples]);
  const line = (label: string, color: string) => ({ label, stroke: color, width: 2, points: { show: false } });
  return (
    <div className="wb-charts">
      <Plot title="Queue calls per 15 minutes (today)" data={dayData} opts={{
        series: [{}, line("Answered", css("--ok")), line("Abandoned", css("--bad")), line("Timed out", css("--warn"))],
        axes: [{ space: 80 }, { label: "calls" }], // x: room for "12:30am" between ticks
        scales: { x: { time: true } },
      }} />
      <Plot title="Agents by state (today)" data={stateData} opts={{
        series: [{}, line("Available", css("--ok")), line("On call", css("--brand")), line("Ringing", css("--info")), line("Wrap-up", css("--warn")), line("Paused", css("--muted"))],
        axes: [{ space: 80 }, { label: "agents" }],
        scales: { x: { time: true } },
      }} />
    </div>
  );
}
