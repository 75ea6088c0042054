import { pageHeader } from '../ui.js';
const R = ['finance'];
const stub = (t) => (main) => { pageHeader(main, t); };
export default [
  { path: 'finance/payments', title: '缴款单', group: '财务', roles: R, render: stub('缴款单') },
  { path: 'finance/reconciliation', title: '对账', group: '财务', roles: R, render: stub('对账') },
  { path: 'finance/receipts', title: '票据查询', group: '财务', roles: R, render: stub('票据查询') },
];
