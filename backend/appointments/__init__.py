"""Appointments (预约到小时): schedules, slots, booking, waitlist, check-in and the queue (叫号)."""
