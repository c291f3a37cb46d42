/** The account and region the local sandbox and local cloud present, where AWS would put real ones. */
export const LOCAL_ACCOUNT_ID = '123456789012';
export const LOCAL_REGION = 'us-east-1';
