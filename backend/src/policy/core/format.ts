// The text `flowlens explain` prints: the verdict, each side, the reason, pitfalls, and the fix.
import type { Explanation, Lang } from './types.ts';

const T = {
  en: {
    side: (isolated: boolean, policies: string[], allowed: string[], denied: string[]) =>
      !isolated && denied.length === 0
        ? 'not isolated'
        : [
            isolated ? `isolated by ${policies.join(', ')}` : '',
            allowed.length
              ? `allowed by ${allowed.join(', ')}`
              : isolated
                ? 'no rule allows it'
                : '',
            denied.length ? `denied by ${denied.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; '),
    via: 'via service',
    why: 'Why',
    pitfalls: 'Pitfalls',
    unsupported: 'Not evaluated',
    fix: 'Smallest fix',
  },
  ko: {
    side: (isolated: boolean, policies: string[], allowed: string[], denied: string[]) =>
      !isolated && denied.length === 0
        ? '격리되지 않음'
        : [
            isolated ? `격리 정책: ${policies.join(', ')}` : '',
            allowed.length ? `허용: ${allowed.join(', ')}` : isolated ? '허용하는 규칙 없음' : '',
            denied.length ? `거부: ${denied.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; '),
    via: '서비스 경유',
    why: '이유',
    pitfalls: '주의할 점',
    unsupported: '평가하지 못한 항목',
    fix: '가장 작은 수정',
  },
};

export function formatExplanationText(e: Explanation, lang: Lang = 'en'): string {
  const t = T[lang];
  const via = e.target.service ? ` (${t.via} ${e.target.service})` : '';
  const lines = [
    `${e.verdict}  ${e.target.from} → ${e.target.to} ${e.target.protocol}/${e.target.port}${via}`,
    `  egress  (${e.target.from}): ${t.side(e.egress.isolated, e.egress.policies, e.egress.allowedBy, e.egress.deniedBy)}`,
    `  ingress (${e.target.to}): ${t.side(e.ingress.isolated, e.ingress.policies, e.ingress.allowedBy, e.ingress.deniedBy)}`,
    '',
    `${t.why}: ${e.reason}`,
  ];
  if (e.pitfalls.length) lines.push('', `${t.pitfalls}:`, ...e.pitfalls.map((p) => `  - ${p}`));
  if (e.unsupported.length)
    lines.push('', `${t.unsupported}:`, ...e.unsupported.map((p) => `  - ${p}`));
  if (e.suggestion) {
    lines.push(
      '',
      `${t.fix}:`,
      ...e.suggestion
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  return lines.join('\n') + '\n';
}
