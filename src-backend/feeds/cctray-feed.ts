// GET /feeds/cctray.xml: the cctray format CCMenu, CatLight and CCTray read (cctray.org v1): a
// <Projects> root with one <Project> per agent (or per project) carrying name, activity
// (Sleeping | Building | CheckingModifications), lastBuildStatus (Success | Failure | Exception |
// Unknown), lastBuildLabel, lastBuildTime, webUrl, and the optional nextBuildTime.

export interface CctrayProject {
  name: string
  building: boolean
  /** The last finished task: completed → Success, failed → Failure; none → Unknown. */
  lastStatus: 'completed' | 'failed' | null
  lastLabel: string
  lastTime: string | null
  nextTime: string | null
  webUrl: string
}

/** XML 1.0 text: the five entities escaped, characters XML cannot carry dropped. */
function attr(value: string): string {
  return (
    value
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      .replace(/\n/g, '&#10;')
      .replace(/\r/g, '&#13;')
      .replace(/\t/g, '&#9;')
  )
}

export function buildCctray(projects: readonly CctrayProject[]): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<Projects>']
  for (const p of projects) {
    const attrs: [string, string][] = [
      ['name', p.name],
      ['activity', p.building ? 'Building' : 'Sleeping'],
      [
        'lastBuildStatus',
        p.lastStatus === 'completed' ? 'Success' : p.lastStatus === 'failed' ? 'Failure' : 'Unknown',
      ],
      ['lastBuildLabel', p.lastLabel],
      // Required by the format; a project that never finished anything has no real time to give.
      ['lastBuildTime', p.lastTime ?? '1970-01-01T00:00:00.000Z'],
      ...(p.nextTime ? ([['nextBuildTime', p.nextTime]] as [string, string][]) : []),
      ['webUrl', p.webUrl],
    ]
    lines.push(`  <Project ${attrs.map(([k, v]) => `${k}="${attr(v)}"`).join(' ')}/>`)
  }
  lines.push('</Projects>', '')
  return lines.join('\n')
}
