import { pageHeader } from '../ui.js';
const R = ['supervisor'];
const stub = (t) => (main) => { pageHeader(main, t); };
export default [
  { path: 'supervisor/board', title: '红黄绿灯', group: '监察', roles: R, render: stub('红黄绿灯') },
  { path: 'supervisor/ratings', title: '评价与整改', group: '监察', roles: R, render: stub('评价与整改') },
  { path: 'supervisor/stats', title: '统计图表', group: '监察', roles: R, render: stub('统计图表') },
];
