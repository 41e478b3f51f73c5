/** The Switchboard mark: two lines patched through. Decorative. */
export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg className="logo" width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="currentColor" />
      <g fill="none" stroke="#fff" strokeWidth="2.6" strokeLinecap="round">
        <path d="M8 11h9" />
        <path d="M15 21h9" />
        <path d="M17 11c3 0 3 10 6 10" />
        <path d="M8 21c3 0 3-10 6-10" opacity=".55" />
      </g>
      <circle cx="8" cy="11" r="2.2" fill="#fff" />
      <circle cx="24" cy="21" r="2.2" fill="#fff" />
    </svg>
  );
}
