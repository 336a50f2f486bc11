import { useRef, useState } from 'react';

/** Lines to copy: a labelled <pre> with a Copy button (selects the text where there is no clipboard). */
export function CopyBlock({ label, text }: { readonly label: string; readonly text: string }) {
  const [copied, setCopied] = useState(false);
  const pre = useRef<HTMLPreElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      window.setTimeout(() => setCopied(false), 2000);
    } catch {
      // No clipboard (plain HTTP on another host): select the text so Ctrl+C copies it.
      const range = document.createRange();
      if (pre.current) range.selectNodeContents(pre.current);
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
    }
  };
  return (
    <div className="code-block">
      <pre ref={pre} aria-label={label}>
        <code>{text}</code>
      </pre>
      <button type="button" className="button button-small" onClick={() => void copy()} aria-label={`Copy: ${label}`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}
