import { pageHeader } from '../ui.js';
const R = ['clerk'];
const stub = (t) => (main) => { pageHeader(main, t); };
export default [
  { path: 'clerk/checkin', title: '今日预约与签到', group: '窗口受理', roles: R, render: stub('今日预约与签到') },
  { path: 'clerk/queue', title: '叫号', group: '窗口受理', roles: R, render: stub('叫号') },
  { path: 'clerk/cases', title: '办件受理', group: '窗口受理', roles: R, render: stub('办件受理') },
];
