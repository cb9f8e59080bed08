/**
 * A log viewer: one row per line (pod name, time, content), search matches marked, lines
 * wrapped or scrolled sideways, kept scrolled to the end while `follow` is on. Up to
 * VIRTUAL_FROM lines render plainly; longer logs are virtualised (@tanstack/react-virtual,
 * rows measured so wrapped lines keep their height), so a 100k-line log stays responsive.
 */
import { useEffect, useRef, type RefObject } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { highlightParts } from "./highlight";
import "./LogViewer.css";

export interface LogLine {
  content: string;
  podName?: string;
  timeStamp?: string;
}

export interface LogViewerProps {
  lines: LogLine[];
  search?: string;
  wrap?: boolean;
  follow?: boolean;
  /** Show the pod column (several pods in one log). */
  showPod?: boolean;
  label: string;
}

export const VIRTUAL_FROM = 500;

function Line({ line, search, showPod }: { line: LogLine; search: string; showPod: boolean }) {
  return (
    <>
      {showPod && line.podName && <span className="log-pod">{line.podName}</span>}
      {line.timeStamp && <span className="log-time">{line.timeStamp}</span>}
      <span className="log-content">
        {highlightParts(line.content, search).map((part, i) =>
          part.match ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>,
        )}
      </span>
    </>
  );
}

function VirtualLines({ lines, search, showPod, follow, scroller }: {
  lines: LogLine[];
  search: string;
  showPod: boolean;
  follow: boolean;
  scroller: RefObject<HTMLDivElement | null>;
}) {
  const virtual = useVirtualizer({
    count: lines.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 18,
    overscan: 20,
  });
  useEffect(() => {
    if (follow && lines.length) virtual.scrollToIndex(lines.length - 1, { align: "end" });
  }, [follow, lines.length, virtual]);
  return (
    <div className="log-virtual" style={{ height: virtual.getTotalSize() }}>
      {virtual.getVirtualItems().map((item) => (
        <div
          key={item.key}
          data-index={item.index}
          ref={virtual.measureElement}
          role="listitem"
          className="log-line"
          style={{ transform: `translateY(${item.start}px)` }}
        >
          <Line line={lines[item.index]} search={search} showPod={showPod} />
        </div>
      ))}
    </div>
  );
}

export function LogViewer({ lines, search = "", wrap = true, follow = false, showPod = false, label }: LogViewerProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = lines.length > VIRTUAL_FROM;
  useEffect(() => {
    const element = scroller.current;
    if (follow && !virtual && element) element.scrollTop = element.scrollHeight;
  }, [follow, virtual, lines.length]);
  return (
    <div
      ref={scroller}
      className={`log-viewer${wrap ? " log-wrap" : ""}`}
      role="list"
      aria-label={label}
      tabIndex={0}
    >
      {lines.length === 0 && <p className="log-empty">No log lines.</p>}
      {virtual ? (
        <VirtualLines lines={lines} search={search} showPod={showPod} follow={follow} scroller={scroller} />
      ) : (
        lines.map((line, index) => (
          <div key={index} role="listitem" className="log-line">
            <Line line={line} search={search} showPod={showPod} />
          </div>
        ))
      )}
    </div>
  );
}
