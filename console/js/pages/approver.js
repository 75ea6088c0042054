import { pageHeader } from '../ui.js';
export default [{ path: 'approver/queue', title: '待审批', group: '审批', roles: ['approver'], render: (m) => { pageHeader(m, '待审批'); } }];
