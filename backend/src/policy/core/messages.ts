// Every sentence the policy engine says, in English and Korean. Reasons name the policies and
// the rule, or the missing piece, in one or two plain sentences.
import type { Lang } from './types.ts';

type Dir = 'ingress' | 'egress';

const DIR: Record<Lang, Record<Dir, string>> = {
  en: { ingress: 'ingress', egress: 'egress' },
  ko: { ingress: '인그레스(들어오는 트래픽)', egress: '이그레스(나가는 트래픽)' },
};

export interface Messages {
  allowedOpen: (from: string, to: string) => string;
  hostAlways: (to: string) => string;
  allowedBy: (who: string, dir: Dir, policies: string[]) => string;
  isolatedNoRule: (who: string, dir: Dir, policies: string[], peer: string, port: string) => string;
  nearPort: (policy: string, rule: number, ports: string) => string;
  nearPeer: (policy: string, rule: number, peers: string) => string;
  deniedBy: (who: string, dir: Dir, policies: string[]) => string;
  l7Refused: (request: string, policy: string, allowed: string[]) => string;
  l7Pending: (policy: string, allowed: string[]) => string;
  notEvaluated: (n: number) => string;
  fixDeny: (policies: string[]) => string;
  pitfallDns: (pod: string, policies: string[]) => string;
  pitfallNoPods: (policy: string) => string;
  pitfallPeerNothing: (policy: string, peer: string) => string;
  pitfallNamedPort: (policy: string, port: string) => string;
  pitfallStandIn: (pod: string) => string;
}

export const MESSAGES: Record<Lang, Messages> = {
  en: {
    allowedOpen: (from, to) =>
      `No policy isolates ${from} or ${to} for this traffic, so it is allowed.`,
    hostAlways: (to) =>
      `Traffic from ${to}'s own node (such as kubelet health checks) is always allowed; policies cannot block it.`,
    allowedBy: (who, dir, p) =>
      `${who} is isolated for ${DIR.en[dir]}, and ${p.join(', ')} allows it.`,
    isolatedNoRule: (who, dir, p, peer, port) =>
      `${who} is isolated for ${DIR.en[dir]} by ${p.join(', ')}; no rule allows ${peer} on ${port}.`,
    nearPort: (p, r, ports) => `(${p} rule ${r} matches the peer but only on ${ports}.)`,
    nearPeer: (p, r, peers) => `(${p} rule ${r} opens the port, but only for ${peers}.)`,
    deniedBy: (who, dir, p) =>
      `${p.join(', ')} explicitly denies this ${DIR.en[dir]} for ${who}; a deny rule wins over any allow.`,
    l7Refused: (req, p, allowed) =>
      `${req} is not among the allowed requests of ${p}: ${allowed.join(', ')}.`,
    l7Pending: (p, allowed) =>
      `Allowed at L4; ${p} then only lets these HTTP requests through: ${allowed.join(', ')}.`,
    notEvaluated: (n) =>
      `${n} construct(s) could not be evaluated and are not reflected in this verdict.`,
    fixDeny: (p) =>
      `Nothing can be added to allow this: remove or narrow the deny rule in ${p.join(', ')}.`,
    pitfallDns: (pod, p) =>
      `${pod} is isolated for egress by ${p.join(', ')} without an allowance for DNS (UDP/53 to kube-dns): name lookups will fail.`,
    pitfallNoPods: (p) => `${p} selects no pods.`,
    pitfallPeerNothing: (p, peer) => `${p} has a peer (${peer}) that matches no pod.`,
    pitfallNamedPort: (p, port) =>
      `${p} uses the named port "${port}", which no pod it could reach defines.`,
    pitfallStandIn: (pod) =>
      `${pod} stands in for a workload from the manifests (no running pod was given).`,
  },
  ko: {
    allowedOpen: (from, to) =>
      `${from}와(과) ${to}를 이 트래픽에 대해 격리하는 정책이 없으므로 허용됩니다.`,
    hostAlways: (to) =>
      `${to}가 실행 중인 노드에서 오는 트래픽(kubelet 헬스 체크 등)은 항상 허용되며 정책으로 막을 수 없습니다.`,
    allowedBy: (who, dir, p) =>
      `${who}은(는) ${DIR.ko[dir]}에 대해 격리되어 있으며, ${p.join(', ')}이(가) 이를 허용합니다.`,
    isolatedNoRule: (who, dir, p, peer, port) =>
      `${who}은(는) ${p.join(', ')}에 의해 ${DIR.ko[dir]}가 격리되어 있고, ${peer}의 ${port} 연결을 허용하는 규칙이 없습니다.`,
    nearPort: (p, r, ports) => `(${p}의 규칙 ${r}은(는) 상대는 맞지만 ${ports}만 허용합니다.)`,
    nearPeer: (p, r, peers) => `(${p}의 규칙 ${r}은(는) 포트는 열지만 ${peers}에게만 허용합니다.)`,
    deniedBy: (who, dir, p) =>
      `${p.join(', ')}이(가) ${who}의 이 ${DIR.ko[dir]}를 명시적으로 거부합니다. 거부 규칙은 어떤 허용보다 우선합니다.`,
    l7Refused: (req, p, allowed) =>
      `${req} 요청은 ${p}가 허용하는 요청(${allowed.join(', ')})에 포함되지 않습니다.`,
    l7Pending: (p, allowed) =>
      `L4에서는 허용되지만, ${p}는 다음 HTTP 요청만 통과시킵니다: ${allowed.join(', ')}.`,
    notEvaluated: (n) => `평가할 수 없는 구성 ${n}개가 있어 이 판정에 반영되지 않았습니다.`,
    fixDeny: (p) =>
      `허용 규칙을 추가해도 소용없습니다: ${p.join(', ')}의 거부 규칙을 제거하거나 범위를 좁히세요.`,
    pitfallDns: (pod, p) =>
      `${pod}은(는) ${p.join(', ')}에 의해 이그레스가 격리되었지만 DNS(kube-dns로 UDP/53) 허용이 없어 이름 조회가 실패합니다.`,
    pitfallNoPods: (p) => `${p}이(가) 선택하는 파드가 없습니다.`,
    pitfallPeerNothing: (p, peer) => `${p}의 상대 선택자(${peer})와 일치하는 파드가 없습니다.`,
    pitfallNamedPort: (p, port) =>
      `${p}가 사용하는 이름 있는 포트 "${port}"를 정의한 파드가 없습니다.`,
    pitfallStandIn: (pod) =>
      `${pod}은(는) 매니페스트의 워크로드를 대신하는 가상 파드입니다(실행 중인 파드 정보 없음).`,
  },
};
